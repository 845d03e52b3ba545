package dev.outbox.serializer.avro;

import dev.outbox.InvalidMessageException;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.math.BigDecimal;
import java.math.RoundingMode;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;

/**
 * Turns an application value into the generic datum its schema describes, checking it fits on the way, so that a
 * value that does not fit is refused with the path of the offending field rather than deep inside the Avro writer.
 */
final class ToAvro {
    private static final Object ABSENT = new Object();

    private final String type;
    private final int version;

    ToAvro(String type, int version) {
        this.type = type;
        this.version = version;
    }

    Object convert(Schema schema, Object value, String path) {
        if (schema.getType() == Schema.Type.UNION) {
            return union(schema, value, path);
        }
        if (schema.getType() == Schema.Type.NULL) {
            if (value == null) {
                return null;
            }
            throw mismatch(schema, value, path);
        }
        if (value == null) {
            throw fail(path, "is missing (null), and its schema type " + describe(schema) + " is not nullable");
        }
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD:
                return record(schema, value, path);
            case ENUM:
                return enumSymbol(schema, value, path);
            case ARRAY:
                return array(schema, value, path);
            case MAP:
                return map(schema, value, path);
            case FIXED:
                if (value instanceof GenericFixed f && f.bytes().length == schema.getFixedSize()) {
                    return new GenericData.Fixed(schema, f.bytes().clone());
                }
                if (value instanceof byte[] b && b.length == schema.getFixedSize()) {
                    return new GenericData.Fixed(schema, b.clone());
                }
                if (value instanceof BigDecimal d && logical instanceof LogicalTypes.Decimal dec) {
                    return new Conversions.DecimalConversion().toFixed(decimal(d, dec, path), schema, logical);
                }
                throw mismatch(schema, value, path);
            case STRING:
                if (value instanceof CharSequence || value instanceof UUID) {
                    return value.toString();
                }
                throw mismatch(schema, value, path);
            case BYTES:
                if (value instanceof byte[] b) {
                    return ByteBuffer.wrap(b.clone());
                }
                if (value instanceof ByteBuffer b) {
                    return b.duplicate();
                }
                if (value instanceof BigDecimal d && logical instanceof LogicalTypes.Decimal dec) {
                    return new Conversions.DecimalConversion().toBytes(decimal(d, dec, path), schema, logical);
                }
                throw mismatch(schema, value, path);
            case INT:
                if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
                    return ((Number) value).intValue();
                }
                if (value instanceof LocalDate d && logical instanceof LogicalTypes.Date) {
                    return Math.toIntExact(d.toEpochDay());
                }
                if (value instanceof LocalTime t && logical instanceof LogicalTypes.TimeMillis) {
                    return (int) (t.toNanoOfDay() / 1_000_000);
                }
                throw mismatch(schema, value, path);
            case LONG:
                if (value instanceof Long
                        || value instanceof Integer
                        || value instanceof Short
                        || value instanceof Byte) {
                    return ((Number) value).longValue();
                }
                Long time = time(value, logical);
                if (time != null) {
                    return time;
                }
                throw mismatch(schema, value, path);
            case FLOAT:
                if (value instanceof Float || isIntegral(value)) {
                    return ((Number) value).floatValue();
                }
                throw mismatch(schema, value, path);
            case DOUBLE:
                if (value instanceof Double || value instanceof Float || isIntegral(value)) {
                    return ((Number) value).doubleValue();
                }
                throw mismatch(schema, value, path);
            case BOOLEAN:
                if (value instanceof Boolean) {
                    return value;
                }
                throw mismatch(schema, value, path);
            default:
                throw fail(path, "has schema type " + schema.getType() + ", which this serializer cannot write");
        }
    }

    private Object union(Schema schema, Object value, String path) {
        List<Schema> branches = schema.getTypes();
        if (value == null) {
            if (branches.stream().anyMatch(b -> b.getType() == Schema.Type.NULL)) {
                return null;
            }
            throw fail(path, "is missing (null), and its union " + describe(schema) + " has no null branch");
        }
        List<Schema> candidates =
                branches.stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
        if (candidates.size() == 1) {
            return convert(candidates.get(0), value, path);
        }
        // A record that names its branch goes there; otherwise the first branch the value fits.
        if (value instanceof IndexedRecord r) {
            for (Schema b : candidates) {
                if (b.getType() == Schema.Type.RECORD
                        && b.getFullName().equals(r.getSchema().getFullName())) {
                    return convert(b, value, path);
                }
            }
        }
        for (Schema b : candidates) {
            try {
                return convert(b, value, path);
            } catch (InvalidMessageException e) {
                // try the next branch
            }
        }
        throw fail(
                path,
                "fits no branch of its union " + describe(schema) + ": was "
                        + value.getClass().getName());
    }

    private GenericData.Record record(Schema schema, Object value, String path) {
        boolean isMap = value instanceof Map<?, ?>;
        if (!isMap
                && !(value instanceof IndexedRecord)
                && (value.getClass().getName().startsWith("java.")
                        || value.getClass().isArray())) {
            throw mismatch(schema, value, path);
        }
        GenericData.Record out = new GenericData.Record(schema);
        for (Schema.Field f : schema.getFields()) {
            String p = path.isEmpty() ? f.name() : path + "." + f.name();
            Object raw = property(value, f.name(), p);
            if (raw == ABSENT || (raw == null && f.hasDefaultValue() && !nullable(f.schema()))) {
                if (!f.hasDefaultValue()) {
                    String where = value instanceof IndexedRecord r
                            ? "the record's schema " + r.getSchema().getFullName()
                            : value.getClass().getName();
                    throw fail(
                            p, "is missing: " + where + " has no '" + f.name() + "' and the schema gives no default");
                }
                out.put(
                        f.pos(),
                        GenericData.get().deepCopy(f.schema(), GenericData.get().getDefaultValue(f)));
                continue;
            }
            out.put(f.pos(), convert(f.schema(), raw, p));
        }
        return out;
    }

    /** The value of a property, or {@link #ABSENT} if the value has no such property. */
    private Object property(Object value, String name, String path) {
        if (value instanceof GenericRecord r) {
            return r.getSchema().getField(name) == null ? ABSENT : r.get(name);
        }
        if (value instanceof IndexedRecord r) {
            Schema.Field f = r.getSchema().getField(name);
            return f == null ? ABSENT : r.get(f.pos());
        }
        if (value instanceof Map<?, ?> m) {
            return m.containsKey(name) ? m.get(name) : ABSENT;
        }
        Optional<Beans.Getter> getter;
        try {
            getter = Beans.getter(value.getClass(), name);
        } catch (RuntimeException e) {
            throw new InvalidMessageException(
                    prefix() + "field '" + path + "' cannot be read from "
                            + value.getClass().getName() + ": " + e.getMessage(),
                    e);
        }
        if (getter.isEmpty()) {
            return ABSENT;
        }
        try {
            return getter.get().get(value);
        } catch (InvocationTargetException e) {
            throw new InvalidMessageException(
                    prefix() + "reading field '" + path + "' from "
                            + value.getClass().getName() + " threw " + e.getCause(),
                    e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new InvalidMessageException(
                    prefix() + "field '" + path + "' cannot be read from "
                            + value.getClass().getName() + ": " + e,
                    e);
        }
    }

    private Object enumSymbol(Schema schema, Object value, String path) {
        String symbol;
        if (value instanceof Enum<?> e) {
            symbol = e.name();
        } else if (value instanceof CharSequence || value instanceof GenericEnumSymbol<?>) {
            symbol = value.toString();
        } else {
            throw mismatch(schema, value, path);
        }
        if (!schema.hasEnumSymbol(symbol)) {
            throw fail(path, "must be one of " + schema.getEnumSymbols() + ", was '" + symbol + "'");
        }
        return new GenericData.EnumSymbol(schema, symbol);
    }

    private Object array(Schema schema, Object value, String path) {
        List<Object> items = new ArrayList<>();
        if (value instanceof Collection<?> c) {
            items.addAll(c);
        } else if (value.getClass().isArray() && !(value instanceof byte[])) {
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(Array.get(value, i));
            }
        } else {
            throw mismatch(schema, value, path);
        }
        GenericData.Array<Object> out = new GenericData.Array<>(items.size(), schema);
        for (int i = 0; i < items.size(); i++) {
            out.add(convert(schema.getElementType(), items.get(i), path + "[" + i + "]"));
        }
        return out;
    }

    private Object map(Schema schema, Object value, String path) {
        if (!(value instanceof Map<?, ?> m)) {
            throw mismatch(schema, value, path);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof CharSequence key)) {
                throw fail(
                        path,
                        "is a map, whose keys must be strings: found a key of "
                                + (e.getKey() == null
                                        ? "null"
                                        : e.getKey().getClass().getName()));
            }
            out.put(key.toString(), convert(schema.getValueType(), e.getValue(), path + "[" + key + "]"));
        }
        return out;
    }

    private BigDecimal decimal(BigDecimal value, LogicalTypes.Decimal dec, String path) {
        BigDecimal scaled;
        try {
            scaled = value.setScale(dec.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw fail(
                    path,
                    "has " + value.scale() + " decimal places, more than the schema's scale of " + dec.getScale());
        }
        if (scaled.precision() > dec.getPrecision()) {
            throw fail(
                    path,
                    "has " + scaled.precision() + " digits, more than the schema's precision of " + dec.getPrecision());
        }
        return scaled;
    }

    private static Long time(Object value, LogicalType logical) {
        if (value instanceof Instant i) {
            if (logical instanceof LogicalTypes.TimestampMillis) {
                return i.toEpochMilli();
            }
            if (logical instanceof LogicalTypes.TimestampMicros) {
                return ChronoUnit.MICROS.between(Instant.EPOCH, i);
            }
        }
        if (value instanceof LocalDateTime t) {
            Instant i = t.toInstant(ZoneOffset.UTC);
            if (logical instanceof LogicalTypes.LocalTimestampMillis) {
                return i.toEpochMilli();
            }
            if (logical instanceof LogicalTypes.LocalTimestampMicros) {
                return ChronoUnit.MICROS.between(Instant.EPOCH, i);
            }
        }
        if (value instanceof LocalTime t && logical instanceof LogicalTypes.TimeMicros) {
            return t.toNanoOfDay() / 1_000;
        }
        return null;
    }

    private static boolean isIntegral(Object value) {
        return value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte;
    }

    private static boolean nullable(Schema schema) {
        return schema.getType() == Schema.Type.NULL
                || (schema.getType() == Schema.Type.UNION
                        && schema.getTypes().stream().anyMatch(b -> b.getType() == Schema.Type.NULL));
    }

    static String describe(Schema schema) {
        return switch (schema.getType()) {
            case RECORD -> "record " + schema.getFullName();
            case ENUM -> "enum " + schema.getFullName();
            case FIXED -> "fixed(" + schema.getFixedSize() + ")";
            case ARRAY -> "array of " + describe(schema.getElementType());
            case MAP -> "map of " + describe(schema.getValueType());
            case UNION -> schema.getTypes().stream()
                    .map(ToAvro::describe)
                    .toList()
                    .toString();
            default -> schema.getLogicalType() != null
                    ? schema.getLogicalType().getName() + " (" + schema.getName() + ")"
                    : schema.getName();
        };
    }

    private String prefix() {
        return "type " + type + " (schema v" + version + "): ";
    }

    private InvalidMessageException fail(String path, String what) {
        return new InvalidMessageException(prefix() + (path.isEmpty() ? "the value " : "field '" + path + "' ") + what);
    }

    private InvalidMessageException mismatch(Schema schema, Object value, String path) {
        return fail(
                path,
                "must be " + describe(schema) + ", was " + value.getClass().getName());
    }
}
