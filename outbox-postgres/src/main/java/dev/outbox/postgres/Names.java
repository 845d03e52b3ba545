package dev.outbox.postgres;

import dev.outbox.InvalidConfigurationException;
import java.util.Optional;

/**
 * The names of one module's tables: an optional schema and a base name, from which every other name is derived as
 * {@code <base>_<suffix>}. The outbox store's base is its table prefix ({@code outbox} gives {@code outbox_message},
 * {@code outbox_lane}...); the dedup module's base is its table ({@code outbox_processed_message}, with the index
 * {@code outbox_processed_message_cleanup_idx}).
 *
 * <p>Every name follows {@link Identifiers}' rule, derived names included, and an error names the setting the name
 * came from. Immutable.
 */
public final class Names {
    private final Optional<String> schema;
    private final String schemaSetting;
    private final String base;
    private final String baseSetting;

    private Names(Optional<String> schema, String schemaSetting, String base, String baseSetting) {
        this.schema = schema;
        this.schemaSetting = schemaSetting;
        this.base = base;
        this.baseSetting = baseSetting;
    }

    /**
     * Names in {@code schema} (the connection's search path when empty) built on {@code base}.
     *
     * @param schemaSetting the setting the schema comes from, for errors
     * @param baseSetting the setting the base comes from, for errors
     * @throws InvalidConfigurationException naming the setting whose value breaks the rule
     */
    public static Names of(Optional<String> schema, String schemaSetting, String base, String baseSetting) {
        if (schema == null) {
            throw new InvalidConfigurationException(schemaSetting + " must not be null (use Optional.empty())");
        }
        schema.ifPresent(s -> Identifiers.checkSchema(s, schemaSetting));
        Identifiers.check(base, baseSetting);
        return new Names(schema, schemaSetting, base, baseSetting);
    }

    /** The schema, empty for the search path. */
    public Optional<String> schema() {
        return schema;
    }

    /** The base name. */
    public String base() {
        return base;
    }

    /** {@code <base>_<suffix>}, unquoted and unqualified, checked. */
    public String plain(String suffix) {
        return Identifiers.derived(base + "_" + suffix, baseSetting);
    }

    /** The base itself as a table, quoted and qualified with the schema: as written in SQL text. */
    public String table() {
        return Identifiers.qualified(schema, base);
    }

    /** The table {@code <base>_<suffix>}, quoted and qualified: as written in SQL text. */
    public String table(String suffix) {
        return Identifiers.qualified(schema, plain(suffix));
    }

    /**
     * The name {@code <base>_<suffix>}, quoted but not qualified: an index or a constraint, which PostgreSQL creates in
     * its table's schema.
     */
    public String name(String suffix) {
        return Identifiers.quote(plain(suffix));
    }

    /**
     * A NOTIFY channel of these names, {@code [<schema>_]<base>_<suffix>}, unquoted: channels live in the database,
     * not in a schema, so the schema is part of the name. Give it to {@code pg_notify} as a bound value, and quote it
     * ({@link Identifiers#quote}) for {@code LISTEN}.
     *
     * @throws InvalidConfigurationException naming the schema and base settings when they are too long together
     */
    public String channel(String suffix) {
        String channel = schema.map(s -> s + "_").orElse("") + base + "_" + suffix;
        if (channel.length() > Identifiers.MAX_LENGTH) {
            throw new InvalidConfigurationException(schemaSetting + " and " + baseSetting + " are too long together:"
                    + " they make the NOTIFY channel '" + channel + "' of " + channel.length() + " characters, and"
                    + " PostgreSQL takes " + Identifiers.MAX_LENGTH + " at most");
        }
        return channel;
    }

    /** The schema-qualified pattern of these names, for messages: {@code billing.outbox_*}. */
    @Override
    public String toString() {
        return schema.map(s -> s + ".").orElse("") + base + "_*";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Names n
                && schema.equals(n.schema)
                && base.equals(n.base)
                && schemaSetting.equals(n.schemaSetting)
                && baseSetting.equals(n.baseSetting);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(schema, base);
    }
}
