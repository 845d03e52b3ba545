package dev.outbox.postgres;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.spi.Validation;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one rule for the names (schemas, tables, indexes, NOTIFY channels) that the outbox writes into SQL text.
 *
 * <p>A name is lower-case ASCII letters, digits and {@code _}, does not start with a digit, and is at most {@value
 * #MAX_LENGTH} characters long: PostgreSQL cuts longer names short without an error, so that two long names could meet
 * as one. Every name the outbox derives from a configured one (a table from a prefix, an index from a table) is held to
 * the same limit, and the error names the setting it came from. Names are always written quoted, so an SQL keyword
 * ({@code order}, {@code user}) is a name like any other; and a lower-case quoted name is the very same name unquoted,
 * so tables created before quoting are found.
 *
 * <p>Only names that passed this rule reach SQL text; every value is a bound parameter.
 */
public final class Identifiers {
    /** The longest name PostgreSQL keeps whole ({@code NAMEDATALEN - 1} bytes). */
    public static final int MAX_LENGTH = 63;

    private static final Pattern RULE = Pattern.compile("[a-z_][a-z0-9_]*");

    private Identifiers() {}

    /**
     * A name that a user configured: a table, a prefix, a version table.
     *
     * @param setting the setting's name, for the error
     * @return {@code value}
     * @throws InvalidConfigurationException naming {@code setting} if the name breaks the rule
     */
    public static String check(String value, String setting) {
        if (value == null) {
            throw new InvalidConfigurationException(setting + " must not be null");
        }
        if (value.isEmpty()
                || value.length() > MAX_LENGTH
                || !RULE.matcher(value).matches()) {
            throw new InvalidConfigurationException(setting + " must be an SQL name of lower-case letters, digits and"
                    + " '_', not starting with a digit, at most " + MAX_LENGTH + " characters; was "
                    + Validation.quote(value));
        }
        return value;
    }

    /**
     * A schema name: {@link #check} and not one of PostgreSQL's own ({@code pg_...}), which no table may be created
     * in.
     *
     * @throws InvalidConfigurationException naming {@code setting}
     */
    public static String checkSchema(String value, String setting) {
        check(value, setting);
        if (value.startsWith("pg_")) {
            throw new InvalidConfigurationException(setting
                    + " must not start with 'pg_', which PostgreSQL keeps for its own schemas; was '" + value + "'");
        }
        return value;
    }

    /**
     * A name derived from a configured one, such as {@code <prefix>_message}: held to the same limit, and the error
     * names the configured setting.
     *
     * @param setting the setting the derived name comes from
     * @throws InvalidConfigurationException naming {@code setting} if the derived name is too long
     */
    public static String derived(String name, String setting) {
        if (!RULE.matcher(name).matches()) {
            throw new IllegalArgumentException("not an SQL name: " + Validation.quote(name));
        }
        if (name.length() > MAX_LENGTH) {
            throw new InvalidConfigurationException(setting + " is too long: it makes the name '" + name + "' of "
                    + name.length() + " characters, and PostgreSQL keeps " + MAX_LENGTH + " at most");
        }
        return name;
    }

    /** {@code name} as written in SQL text: quoted. The name must have passed the rule. */
    public static String quote(String name) {
        if (!RULE.matcher(name).matches() || name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("not a checked SQL name: " + Validation.quote(name));
        }
        return '"' + name + '"';
    }

    /** {@code name} in {@code schema} (or on the search path when empty), as written in SQL text. */
    public static String qualified(Optional<String> schema, String name) {
        return schema.map(s -> quote(s) + "." + quote(name)).orElseGet(() -> quote(name));
    }
}
