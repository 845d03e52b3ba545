package dev.outbox.serializer.avro;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads and writes the properties of Java records and plain objects by name, for schema fields: record components,
 * then getters and setters ({@code getX}/{@code isX}/{@code setX}), then fields. Lookups are cached per class.
 * Thread-safe.
 */
final class Beans {
    private Beans() {}

    /** How to read one property. */
    interface Getter {
        Object get(Object bean) throws ReflectiveOperationException;
    }

    /** How to write one property, and the type it takes. */
    record Setter(Type type, Writer writer) {}

    /** Writes one property. */
    interface Writer {
        void set(Object bean, Object value) throws ReflectiveOperationException;
    }

    private static final Map<Class<?>, Map<String, Optional<Getter>>> getters = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Map<String, Optional<Setter>>> setters = new ConcurrentHashMap<>();

    /** The getter of property {@code name}, empty if the class has none. */
    static Optional<Getter> getter(Class<?> type, String name) {
        return getters.computeIfAbsent(type, t -> new ConcurrentHashMap<>())
                .computeIfAbsent(name, n -> findGetter(type, n));
    }

    /** The setter of property {@code name}, empty if the class has none. */
    static Optional<Setter> setter(Class<?> type, String name) {
        return setters.computeIfAbsent(type, t -> new ConcurrentHashMap<>())
                .computeIfAbsent(name, n -> findSetter(type, n));
    }

    private static Optional<Getter> findGetter(Class<?> type, String name) {
        if (type.isRecord()) {
            for (RecordComponent c : type.getRecordComponents()) {
                if (c.getName().equals(name)) {
                    Method m = accessible(c.getAccessor());
                    return Optional.of(m::invoke);
                }
            }
            return Optional.empty();
        }
        String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (String candidate : new String[] {"get" + cap, "is" + cap}) {
            Method m = method(type, candidate);
            if (m != null
                    && m.getParameterCount() == 0
                    && !Modifier.isStatic(m.getModifiers())
                    && m.getReturnType() != void.class) {
                Method a = accessible(m);
                return Optional.of(a::invoke);
            }
        }
        Field f = field(type, name);
        if (f != null) {
            Field a = accessible(f);
            return Optional.of(a::get);
        }
        return Optional.empty();
    }

    private static Optional<Setter> findSetter(Class<?> type, String name) {
        String setterName = "set" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(setterName)
                        && m.getParameterCount() == 1
                        && !Modifier.isStatic(m.getModifiers())) {
                    Method a = accessible(m);
                    return Optional.of(new Setter(m.getGenericParameterTypes()[0], a::invoke));
                }
            }
        }
        Field f = field(type, name);
        if (f != null && !Modifier.isFinal(f.getModifiers())) {
            Field a = accessible(f);
            return Optional.of(new Setter(f.getGenericType(), a::set));
        }
        return Optional.empty();
    }

    private static Method method(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == 0 && !m.isSynthetic()) {
                    return m;
                }
            }
        }
        return null;
    }

    private static Field field(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getName().equals(name) && !Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
                    return f;
                }
            }
        }
        return null;
    }

    private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member) {
        member.setAccessible(true);
        return member;
    }
}
