package dev.outbox.spring.autoconfigure;

import dev.outbox.InvalidConfigurationException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a builder of the outbox on {@code outbox.*} values and names the property in what it refuses: the builders'
 * messages start with the setting's name ({@code batchSize must be ...}), which becomes the property's ({@code
 * outbox.relay.batch-size must be ...}). The builders stay the one place that knows the bounds.
 */
final class PropertyNames {
    private static final Pattern SETTING = Pattern.compile("^([a-z][A-Za-z0-9]*)(.*)$", Pattern.DOTALL);

    private PropertyNames() {}

    static <T> T check(String prefix, Supplier<T> build) {
        try {
            return build.get();
        } catch (InvalidConfigurationException e) {
            throw new InvalidConfigurationException(rename(prefix, e.getMessage()), e);
        }
    }

    static String rename(String prefix, String message) {
        Matcher m = SETTING.matcher(message == null ? "" : message);
        if (!m.matches()) {
            return prefix + ": " + message;
        }
        return prefix + "." + kebab(m.group(1)) + m.group(2);
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
