package dev.outbox;

import dev.outbox.spi.Validation;
import java.util.Map;

/** Checks of the fields of messages and envelopes; each failure is an {@link InvalidMessageException} naming the field. */
final class MessageChecks {
    private MessageChecks() {}

    /** A message field that must be present and not blank. */
    static String text(String value, String name, int maxLength) {
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
                throw new InvalidMessageException(
                        name + " must not contain control characters: " + Validation.quote(value));
            }
        }
        return value;
    }

    /** An optional message field: null passes, anything else must satisfy {@link #text}. */
    static String optionalText(String value, String name, int maxLength) {
        return value == null ? null : text(value, name, maxLength);
    }

    /** Message headers: string pairs, names not blank, values not null, no reserved envelope names. */
    static Map<String, String> headers(Map<String, String> headers, Iterable<String> reserved) {
        if (headers == null) {
            return Map.of();
        }
        for (Map.Entry<?, ?> e : headers.entrySet()) {
            Object k = e.getKey();
            Object v = e.getValue();
            if (!(k instanceof String key) || key.isBlank()) {
                throw new InvalidMessageException("header names must be non-blank strings, got " + Validation.quote(k));
            }
            if (!(v instanceof String)) {
                throw new InvalidMessageException(
                        "header '" + key + "' must have a string value, got " + (v == null ? "null" : v.getClass()));
            }
            if (key.length() > 255) {
                throw new InvalidMessageException(
                        "header name must be at most 255 characters: " + Validation.quote(key));
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
}
