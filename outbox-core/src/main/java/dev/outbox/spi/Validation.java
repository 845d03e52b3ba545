package dev.outbox.spi;

import dev.outbox.InvalidConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The checks every builder and module of the outbox applies to its settings, for adapters to apply to theirs: each
 * failure is an {@link InvalidConfigurationException} whose message starts with the setting's name, and quotes the bad
 * value safely ({@link #quote}).
 *
 * <p>Every duration and size has an upper bound as well as a lower one: a setting far beyond any sensible value
 * overflows later, far from the call that set it (a lease of centuries, a timeout that wraps around when converted to
 * nanoseconds). {@link #MAX_DURATION} bounds them all; settings with a tighter sensible range say so.
 */
public final class Validation {
    /**
     * The longest duration any setting accepts unless it names a tighter bound: 100 days, far beyond any sensible
     * timeout, interval or retention of the outbox, and far inside what {@link Duration#toNanos()} and a PostgreSQL
     * interval can hold.
     */
    public static final Duration MAX_DURATION = Duration.ofDays(100);

    private static final int QUOTE_LIMIT = 200;

    private Validation() {}

    /**
     * A required setting.
     *
     * @return {@code value}
     * @throws InvalidConfigurationException if it is null
     */
    public static <T> T notNull(T value, String setting) {
        if (value == null) {
            throw new InvalidConfigurationException(setting + " must not be null");
        }
        return value;
    }

    /**
     * A required text setting.
     *
     * @throws InvalidConfigurationException if it is null or blank
     */
    public static String nonBlank(String value, String setting) {
        notNull(value, setting);
        if (value.isBlank()) {
            throw new InvalidConfigurationException(setting + " must not be blank");
        }
        return value;
    }

    /**
     * A name that reaches log lines, metrics or another system's management tools (a relay id, a source, a connection
     * name): not blank, at most {@code maxBytes} bytes in UTF-8 (as many characters of ASCII), on one line and shown as
     * written: no control characters (CR, LF, NUL, ESC...), no invisible formatting characters (right-to-left
     * overrides, zero-width characters), no line or paragraph separators, no unassigned or private-use code points and
     * no unpaired surrogates, any of which could forge or hide a log line.
     *
     * @throws InvalidConfigurationException naming the setting and the first offending character's position
     */
    public static String name(String value, String setting, int maxBytes) {
        nonBlank(value, setting);
        int bytes = utf8Length(value);
        if (bytes > maxBytes) {
            throw new InvalidConfigurationException(
                    setting + " must be at most " + maxBytes + " bytes in UTF-8, was " + bytes + ": " + quote(value));
        }
        int bad = firstUnprintable(value);
        if (bad >= 0) {
            throw new InvalidConfigurationException(setting + " must not contain control, formatting or separator"
                    + " characters; found U+" + String.format("%04X", value.codePointAt(bad)) + " at index " + bad
                    + " of " + quote(value));
        }
        return value;
    }

    /** How many bytes {@code text} takes in UTF-8 (an unpaired surrogate counts as the one byte it is replaced by). */
    public static int utf8Length(CharSequence text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 1;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /**
     * The index of the first character of {@code text} that does not show as written on one line (see {@link #name}),
     * or -1.
     */
    public static int firstUnprintable(String text) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (unprintable(cp)) {
                return i;
            }
            i += Character.charCount(cp);
        }
        return -1;
    }

    private static boolean unprintable(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE,
                    Character.UNASSIGNED,
                    Character.PRIVATE_USE -> true;
            default -> false;
        };
    }

    /**
     * A count or size: {@code min <= value <= max}.
     *
     * @throws InvalidConfigurationException naming the setting and the range
     */
    public static int between(int value, int min, int max, String setting) {
        if (value < min || value > max) {
            throw new InvalidConfigurationException(
                    setting + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /**
     * A count or size that must be at least 1 and at most {@code max}.
     *
     * @throws InvalidConfigurationException naming the setting
     */
    public static int positive(int value, int max, String setting) {
        return between(value, 1, max, setting);
    }

    /**
     * A duration that must be positive and at most {@code max}.
     *
     * @throws InvalidConfigurationException naming the setting, if it is null, zero, negative or too long
     */
    public static Duration positive(Duration value, Duration max, String setting) {
        notNull(value, setting);
        if (value.isNegative() || value.isZero()) {
            throw new InvalidConfigurationException(setting + " must be a positive duration, was " + value);
        }
        return atMost(value, max, setting);
    }

    /**
     * A duration that must be positive and at most {@link #MAX_DURATION}.
     *
     * @throws InvalidConfigurationException naming the setting
     */
    public static Duration positive(Duration value, String setting) {
        return positive(value, MAX_DURATION, setting);
    }

    /**
     * A duration from zero (which the setting documents the meaning of, such as "off") to {@code max}.
     *
     * @throws InvalidConfigurationException naming the setting, if it is null, negative or too long
     */
    public static Duration nonNegative(Duration value, Duration max, String setting) {
        notNull(value, setting);
        if (value.isNegative()) {
            throw new InvalidConfigurationException(setting + " must not be negative, was " + value);
        }
        return atMost(value, max, setting);
    }

    private static Duration atMost(Duration value, Duration max, String setting) {
        if (value.compareTo(max) > 0) {
            throw new InvalidConfigurationException(setting + " must be at most " + max + ", was " + value);
        }
        return value;
    }

    /**
     * Elements handed over as varargs (pass the varargs array), each required: the error names the element's index.
     *
     * @return the elements as an unmodifiable list
     * @throws InvalidConfigurationException if the array or an element is null
     */
    public static <T> List<T> elements(T[] values, String setting) {
        notNull(values, setting);
        List<T> out = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new InvalidConfigurationException(setting + "[" + i + "] must not be null");
            }
            out.add(values[i]);
        }
        return List.copyOf(out);
    }

    /**
     * Elements of a collection, each required: the error names the element's index.
     *
     * @return the elements as an unmodifiable list
     * @throws InvalidConfigurationException if the collection or an element is null
     */
    public static <T> List<T> elements(Collection<T> values, String setting) {
        notNull(values, setting);
        int i = 0;
        for (T v : values) {
            if (v == null) {
                throw new InvalidConfigurationException(setting + "[" + i + "] must not be null");
            }
            i++;
        }
        return List.copyOf(values);
    }

    /**
     * A value as an error message shows it: in single quotes, with every character that does not show as written
     * ({@link #firstUnprintable}) escaped as {@code \}{@code uXXXX}, and cut at 200 characters; {@code null} unquoted.
     * Messages can then quote what they refuse without being a way to forge log lines themselves.
     */
    public static String quote(Object value) {
        if (value == null) {
            return "null";
        }
        String text = value.toString();
        StringBuilder out = new StringBuilder(Math.min(text.length(), QUOTE_LIMIT) + 8).append('\'');
        for (int i = 0; i < text.length() && i < QUOTE_LIMIT; ) {
            int cp = text.codePointAt(i);
            int chars = Character.charCount(cp);
            if (unprintable(cp)) {
                for (int j = i; j < i + chars; j++) {
                    out.append(String.format("\\u%04X", (int) text.charAt(j)));
                }
            } else {
                out.appendCodePoint(cp);
            }
            i += chars;
        }
        if (text.length() > QUOTE_LIMIT) {
            out.append("...(").append(text.length()).append(" characters)");
        }
        return out.append('\'').toString();
    }
}
