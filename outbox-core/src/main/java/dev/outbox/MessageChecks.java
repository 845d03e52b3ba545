package dev.outbox;

import dev.outbox.spi.Validation;
import java.util.Map;

/** Checks of the fields of messages and envelopes; each failure is an {@link InvalidMessageException} naming the field. */
final class MessageChecks {
    private MessageChecks() {}

    /**
     * A message field that must be present and not blank, with no control characters and no unpaired surrogate (which
     * UTF-8 cannot carry: the database would store a different value than the one the lane was chosen by).
     */
    static String text(String value, String name, int maxLength) {
        present(value, name, maxLength);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new InvalidMessageException(
                        name + " must not contain control characters: " + Validation.quote(value));
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidMessageException(name + " must not contain an unpaired surrogate (U+"
                        + String.format("%04X", (int) c) + " at index " + i + ")");
            }
        }
        return value;
    }

    /**
     * A message field that names something and reaches logs and other systems (a topic, a type): {@link #text}, and
     * shown as written on one line ({@link Validation#firstUnprintable}): no formatting characters such as U+202E, no
     * line separators, no unpaired surrogates.
     */
    static String name(String value, String name, int maxLength) {
        present(value, name, maxLength);
        int bad = Validation.firstUnprintable(value);
        if (bad >= 0) {
            throw new InvalidMessageException(name + " must not contain control, formatting or separator characters;"
                    + " found U+" + String.format("%04X", value.codePointAt(bad)) + " at index " + bad + " of "
                    + Validation.quote(value));
        }
        return value;
    }

    private static void present(String value, String name, int maxLength) {
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
    }

    /** An optional message field: null passes, anything else must satisfy {@link #text}. */
    static String optionalText(String value, String name, int maxLength) {
        return value == null ? null : text(value, name, maxLength);
    }

    /**
     * Message headers as appended: {@link #headerFields}, and within {@link Message#MAX_HEADERS} and {@link
     * Message#MAX_HEADER_BYTES}.
     */
    static Map<String, String> headers(Map<String, String> headers, Iterable<String> reserved) {
        return headers(headers, reserved, true);
    }

    /**
     * Headers of an envelope: {@link #headerFields} only. An envelope carries what was appended (already within the
     * limits) or what a consumer received, such as a dead letter with its dead-letter headers added, which may go
     * past the limits of an append and must still be read.
     */
    static Map<String, String> headerFields(Map<String, String> headers, Iterable<String> reserved) {
        return headers(headers, reserved, false);
    }

    /**
     * String pairs; names not blank, at most {@link Message#MAX_HEADER_NAME_BYTES} bytes, shown as written ({@link
     * Validation#firstUnprintable}) and not reserved for the envelope; values not null, with no control characters
     * (CR, LF, NUL...), line separators or unpaired surrogates; with {@code limits}, at most {@link
     * Message#MAX_HEADERS} of at most {@link Message#MAX_HEADER_BYTES} together.
     */
    private static Map<String, String> headers(Map<String, String> headers, Iterable<String> reserved, boolean limits) {
        if (headers == null) {
            return Map.of();
        }
        if (limits && headers.size() > Message.MAX_HEADERS) {
            throw new InvalidMessageException(
                    "headers must be at most " + Message.MAX_HEADERS + ", were " + headers.size());
        }
        long bytes = 0;
        for (Map.Entry<?, ?> e : headers.entrySet()) {
            Object k = e.getKey();
            Object v = e.getValue();
            if (!(k instanceof String key) || key.isBlank()) {
                throw new InvalidMessageException("header names must be non-blank strings, got " + Validation.quote(k));
            }
            if (!(v instanceof String value)) {
                throw new InvalidMessageException("header " + Validation.quote(key) + " must have a string value, got "
                        + (v == null ? "null" : v.getClass()));
            }
            int nameBytes = Validation.utf8Length(key);
            if (nameBytes > Message.MAX_HEADER_NAME_BYTES) {
                throw new InvalidMessageException("header name must be at most " + Message.MAX_HEADER_NAME_BYTES
                        + " bytes in UTF-8, was " + nameBytes + ": " + Validation.quote(key));
            }
            int badName = Validation.firstUnprintable(key);
            if (badName >= 0) {
                throw new InvalidMessageException("header name must not contain control, formatting or separator"
                        + " characters; found U+" + String.format("%04X", key.codePointAt(badName)) + " at index "
                        + badName + " of " + Validation.quote(key));
            }
            int badValue = firstBadValueChar(value);
            if (badValue >= 0) {
                throw new InvalidMessageException("header " + Validation.quote(key) + " must not contain control"
                        + " characters, line separators or unpaired surrogates in its value; found U+"
                        + String.format("%04X", (int) value.charAt(badValue)) + " at index " + badValue + " of "
                        + Validation.quote(value));
            }
            for (String r : reserved) {
                if (r.equalsIgnoreCase(key)) {
                    throw new InvalidMessageException(
                            "header '" + key + "' is reserved for the envelope and set by the outbox");
                }
            }
            bytes += nameBytes + Validation.utf8Length(value);
        }
        if (limits && bytes > Message.MAX_HEADER_BYTES) {
            throw new InvalidMessageException("headers must take at most " + Message.MAX_HEADER_BYTES
                    + " bytes in UTF-8 (names and values), took " + bytes);
        }
        return Map.copyOf(headers);
    }

    /** How many bytes the headers take in UTF-8, names and values. */
    static int headerBytes(Map<String, String> headers) {
        int bytes = 0;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            bytes += Validation.utf8Length(e.getKey()) + Validation.utf8Length(e.getValue());
        }
        return bytes;
    }

    private static int firstBadValueChar(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return i;
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
