package dev.outbox.internal;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/** Argument checks shared by the values and builders; each failure names the argument. */
public final class Check {
    private Check() {}

    /** A message field that must be present and not blank. */
    public static String text(String value, String name, int maxLength) {
        if (value == null) {
            throw new InvalidMessageException(name + " must not be null");
        }
        if (value.isBlank()) {
            throw new InvalidMessageException(name + " must not be blank");
        }
        if (value.length() > maxLength) {
            throw new InvalidMessageException(
                    name + " must be at most " + maxLength + " characters, was " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidMessageException(name + " must not contain control characters: " + quote(value));
            }
        }
        return value;
    }

    /** An optional message field: null passes, anything else must satisfy {@link #text}. */
    public static String optionalText(String value, String name, int maxLength) {
        return value == null ? null : text(value, name, maxLength);
    }

    /** Message headers: string pairs, names not blank, values not null, no reserved envelope names. */
    public static Map<String, String> headers(Map<String, String> headers, Iterable<String> reserved) {
        if (headers == null) {
            return Map.of();
        }
        for (Map.Entry<?, ?> e : headers.entrySet()) {
            Object k = e.getKey();
            Object v = e.getValue();
            if (!(k instanceof String key) || key.isBlank()) {
                throw new InvalidMessageException("header names must be non-blank strings, got " + quote(k));
            }
            if (!(v instanceof String)) {
                throw new InvalidMessageException(
                        "header '" + key + "' must have a string value, got " + (v == null ? "null" : v.getClass()));
            }
            if (key.length() > 255) {
                throw new InvalidMessageException("header name must be at most 255 characters: " + quote(key));
            }
            for (String r : reserved) {
                if (r.equalsIgnoreCase(key)) {
                    throw new InvalidMessageException(
                            "header '" + key + "' is reserved for the envelope and set by the outbox");
                }
            }
        }
        return Map.copyOf(headers);
    }

    public static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new InvalidConfigurationException(name + " must not be null");
        }
        return value;
    }

    public static int positive(int value, String name) {
        if (value <= 0) {
            throw new InvalidConfigurationException(name + " must be positive, was " + value);
        }
        return value;
    }

    public static Duration positive(Duration value, String name) {
        notNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new InvalidConfigurationException(name + " must be a positive duration, was " + value);
        }
        return value;
    }

    public static String nonBlank(String value, String name) {
        notNull(value, name);
        if (value.isBlank()) {
            throw new InvalidConfigurationException(name + " must not be blank");
        }
        return value;
    }

    private static String quote(Object o) {
        return o == null ? "null" : "'" + Objects.toString(o) + "'";
    }
}
