package dev.outbox.serializer.avro;

import dev.outbox.InvalidMessageException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/** Turns a generic datum read with a schema into the Java type the consumer asked for: a record, a POJO, values. */
final class FromAvro {
    private final String type;
    private final int version;

    FromAvro(String type, int version) {
        this.type = type;
        this.version = version;
    }

    Object convert(Object datum, Schema schema, Type target, String path) {
        if (schema.getType() == Schema.Type.UNION) {
            schema = schema.getTypes().get(GenericData.get().resolveUnion(schema, datum));
        }
        Class<?> raw = raw(target);
        if (datum == null) {
            if (raw.isPrimitive()) {
                throw fail(path, "is null and cannot be read into " + raw.getName());
            }
            return null;
        }
        LogicalType logical = schema.getLogicalType();
        if (raw == Object.class) {
            return plain(datum);
        }
        if (raw == String.class || raw == CharSequence.class) {
            if (datum instanceof CharSequence || schema.getType() == Schema.Type.ENUM) {
                return datum.toString();
            }
        } else if (raw == UUID.class && datum instanceof CharSequence s) {
            try {
                return UUID.fromString(s.toString());
            } catch (IllegalArgumentException e) {
                throw fail(path, "is not a UUID: '" + s + "'");
            }
        } else if (raw.isEnum()) {
            return enumConstant(raw, datum.toString(), path);
        } else if (raw == int.class || raw == Integer.class) {
            if (datum instanceof Integer) {
                return datum;
            }
        } else if (raw == long.class || raw == Long.class) {
            if (datum instanceof Long || datum instanceof Integer) {
                return ((Number) datum).longValue();
            }
        } else if (raw == float.class || raw == Float.class) {
            if (datum instanceof Float || datum instanceof Integer || datum instanceof Long) {
                return ((Number) datum).floatValue();
            }
        } else if (raw == double.class || raw == Double.class) {
            if (datum instanceof Number) {
                return ((Number) datum).doubleValue();
            }
        } else if (raw == boolean.class || raw == Boolean.class) {
            if (datum instanceof Boolean) {
                return datum;
            }
        } else if (raw == short.class || raw == Short.class) {
            if (datum instanceof Integer i && i >= Short.MIN_VALUE && i <= Short.MAX_VALUE) {
                return i.shortValue();
            }
        } else if (raw == byte.class || raw == Byte.class) {
            if (datum instanceof Integer i && i >= Byte.MIN_VALUE && i <= Byte.MAX_VALUE) {
                return i.byteValue();
            }
        } else if (raw == Instant.class && datum instanceof Long l) {
            if (logical instanceof LogicalTypes.TimestampMillis) {
                return Instant.ofEpochMilli(l);
            }
            if (logical instanceof LogicalTypes.TimestampMicros) {
                return Instant.EPOCH.plus(l, ChronoUnit.MICROS);
            }
        } else if (raw == LocalDateTime.class && datum instanceof Long l) {
            if (logical instanceof LogicalTypes.LocalTimestampMillis) {
                return LocalDateTime.ofInstant(Instant.ofEpochMilli(l), ZoneOffset.UTC);
            }
            if (logical instanceof LogicalTypes.LocalTimestampMicros) {
                return LocalDateTime.ofInstant(Instant.EPOCH.plus(l, ChronoUnit.MICROS), ZoneOffset.UTC);
            }
        } else if (raw == LocalDate.class && datum instanceof Integer i && logical instanceof LogicalTypes.Date) {
            return LocalDate.ofEpochDay(i);
        } else if (raw == LocalTime.class) {
            if (datum instanceof Integer i && logical instanceof LogicalTypes.TimeMillis) {
                return LocalTime.ofNanoOfDay(i * 1_000_000L);
            }
            if (datum instanceof Long l && logical instanceof LogicalTypes.TimeMicros) {
                return LocalTime.ofNanoOfDay(l * 1_000L);
            }
        } else if (raw == BigDecimal.class && logical instanceof LogicalTypes.Decimal) {
            if (datum instanceof ByteBuffer b) {
                return new Conversions.DecimalConversion().fromBytes(b.duplicate(), schema, logical);
            }
            if (datum instanceof GenericFixed f) {
                return new Conversions.DecimalConversion().fromFixed(f, schema, logical);
            }
        } else if (raw == byte[].class) {
            if (datum instanceof ByteBuffer b) {
                byte[] out = new byte[b.remaining()];
                b.duplicate().get(out);
                return out;
            }
            if (datum instanceof GenericFixed f) {
                return f.bytes().clone();
            }
        } else if (raw == ByteBuffer.class && datum instanceof ByteBuffer b) {
            return b.duplicate();
        } else if (raw.isArray() && datum instanceof Collection<?> c) {
            Object out = Array.newInstance(raw.getComponentType(), c.size());
            int i = 0;
            for (Object item : c) {
                Array.set(out, i, convert(item, schema.getElementType(), raw.getComponentType(), path + "[" + i + "]"));
                i++;
            }
            return out;
        } else if (Collection.class.isAssignableFrom(raw) && datum instanceof Collection<?> c) {
            Collection<Object> out = Set.class.isAssignableFrom(raw) ? new LinkedHashSet<>() : new ArrayList<>();
            Type element = typeArgument(target, 0);
            int i = 0;
            for (Object item : c) {
                out.add(convert(item, schema.getElementType(), element, path + "[" + i++ + "]"));
            }
            return out;
        } else if (Map.class.isAssignableFrom(raw) && datum instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            Type value = typeArgument(target, 1);
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = e.getKey().toString();
                out.put(key, convert(e.getValue(), schema.getValueType(), value, path + "[" + key + "]"));
            }
            return out;
        } else if (raw.isInstance(datum)) {
            return datum; // GenericRecord, GenericFixed, ... asked for as such
        } else if (datum instanceof GenericRecord r) {
            return raw.isRecord() ? javaRecord(r, raw, path) : bean(r, raw, path);
        }
        throw fail(path, "of schema type " + ToAvro.describe(schema) + " cannot be read into " + target.getTypeName());
    }

    private Object javaRecord(GenericRecord datum, Class<?> target, String path) {
        RecordComponent[] components = target.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            String p = path.isEmpty() ? c.getName() : path + "." + c.getName();
            Schema.Field f = datum.getSchema().getField(c.getName());
            if (f == null) {
                throw fail(
                        p,
                        "is not in the schema (" + datum.getSchema().getFullName() + "), but " + target.getName()
                                + " needs it");
            }
            args[i] = convert(datum.get(f.pos()), f.schema(), c.getGenericType(), p);
        }
        try {
            Constructor<?> ctor = target.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new InvalidMessageException(
                    prefix() + "creating " + target.getName() + " threw " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new InvalidMessageException(prefix() + "cannot create " + target.getName() + ": " + e, e);
        }
    }

    private Object bean(GenericRecord datum, Class<?> target, String path) {
        Object bean;
        try {
            Constructor<?> ctor = target.getDeclaredConstructor();
            ctor.setAccessible(true);
            bean = ctor.newInstance();
        } catch (NoSuchMethodException e) {
            throw new InvalidMessageException(prefix() + "cannot read " + (path.isEmpty() ? "the value" : path)
                    + " into " + target.getName() + ": it needs a no-argument constructor, or to be a record");
        } catch (InvocationTargetException e) {
            throw new InvalidMessageException(
                    prefix() + "creating " + target.getName() + " threw " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new InvalidMessageException(prefix() + "cannot create " + target.getName() + ": " + e, e);
        }
        for (Schema.Field f : datum.getSchema().getFields()) {
            String p = path.isEmpty() ? f.name() : path + "." + f.name();
            Optional<Beans.Setter> setter = Beans.setter(target, f.name());
            if (setter.isEmpty()) {
                continue; // a consumer may ignore fields it does not need
            }
            Object value = convert(datum.get(f.pos()), f.schema(), setter.get().type(), p);
            try {
                setter.get().writer().set(bean, value);
            } catch (InvocationTargetException e) {
                throw new InvalidMessageException(
                        prefix() + "setting field '" + p + "' of " + target.getName() + " threw " + e.getCause(),
                        e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new InvalidMessageException(
                        prefix() + "cannot set field '" + p + "' of " + target.getName() + ": " + e, e);
            }
        }
        return bean;
    }

    private Object enumConstant(Class<?> type, String name, String path) {
        for (Object constant : type.getEnumConstants()) {
            if (((Enum<?>) constant).name().equals(name)) {
                return constant;
            }
        }
        throw fail(path, "is '" + name + "', which is not a constant of " + type.getName());
    }

    /** A datum as plain Java: strings for Avro's text, lists and maps for its containers. */
    private static Object plain(Object datum) {
        if (datum instanceof CharSequence s) {
            return s.toString();
        }
        if (datum instanceof Collection<?> c && !(datum instanceof GenericRecord)) {
            List<Object> out = new ArrayList<>();
            c.forEach(i -> out.add(i == null ? null : plain(i)));
            return out;
        }
        if (datum instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k.toString(), v == null ? null : plain(v)));
            return out;
        }
        return datum;
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return raw(p.getRawType());
        }
        if (type instanceof WildcardType w) {
            return raw(w.getUpperBounds()[0]);
        }
        return Object.class;
    }

    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType p && p.getActualTypeArguments().length > index) {
            return p.getActualTypeArguments()[index];
        }
        return Object.class;
    }

    private String prefix() {
        return "type " + type + " (schema v" + version + "): ";
    }

    private InvalidMessageException fail(String path, String what) {
        return new InvalidMessageException(prefix() + (path.isEmpty() ? "the value " : "field '" + path + "' ") + what);
    }
}
