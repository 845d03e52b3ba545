package dev.outbox.store.jdbi;

import dev.outbox.InvalidConfigurationException;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Settings of a {@link JdbiMessageStore}. Immutable; build with {@link #builder()}.
 *
 * @param schema the schema holding the tables; empty for the connection's search path
 * @param tablePrefix the prefix of every table name ({@code outbox} gives {@code outbox_message}, ...)
 * @param lanes how many lanes messages are spread over; fixed once the tables exist
 * @param retention how long acknowledged messages are kept (marked sent, then purged in bounded batches); empty to
 *     delete them on acknowledge
 * @param notifyOnAppend whether each appending transaction sends a PostgreSQL {@code NOTIFY} at commit, so relays wake
 *     at once instead of at their next poll
 */
public record JdbiStoreConfig(
        Optional<String> schema, String tablePrefix, int lanes, Optional<Duration> retention, boolean notifyOnAppend) {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

    /** Default lane count: 64, enough for several relays to share fairly while keeping a round's query small. */
    public static final int DEFAULT_LANES = 64;

    public JdbiStoreConfig {
        if (schema == null || tablePrefix == null || retention == null) {
            throw new InvalidConfigurationException("schema, tablePrefix and retention must not be null");
        }
        schema.ifPresent(s -> identifier(s, "schema"));
        identifier(tablePrefix, "tablePrefix");
        if (lanes < 1 || lanes > 4096) {
            throw new InvalidConfigurationException("lanes must be between 1 and 4096, was " + lanes);
        }
        retention.ifPresent(r -> {
            if (r.isNegative() || r.isZero()) {
                throw new InvalidConfigurationException("retention must be a positive duration, was " + r);
            }
        });
    }

    private static void identifier(String value, String name) {
        if (!IDENTIFIER.matcher(value).matches()) {
            throw new InvalidConfigurationException(name + " must be a lower-case SQL identifier (a-z, 0-9, _,"
                    + " not starting with a digit, at most 40 characters), was '" + value + "'");
        }
    }

    /** The defaults: search-path schema, prefix {@code outbox}, 64 lanes, delete on acknowledge, no notify on append. */
    public static JdbiStoreConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Qualified name of one of the store's tables. */
    String table(String name) {
        return schema.map(s -> s + ".").orElse("") + tablePrefix + "_" + name;
    }

    /** The channel the appending transactions notify and relays listen on. */
    String channel() {
        return schema.map(s -> s + "_").orElse("") + tablePrefix + "_append";
    }

    /** Builds a {@link JdbiStoreConfig}. Not thread-safe. */
    public static final class Builder {
        private String schema;
        private String tablePrefix = "outbox";
        private int lanes = DEFAULT_LANES;
        private Duration retention;
        private boolean notifyOnAppend = false;

        private Builder() {}

        /** The schema of the tables. Default: none, the connection's search path decides. */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** The table name prefix. Default {@code outbox}. */
        public Builder tablePrefix(String tablePrefix) {
            this.tablePrefix = tablePrefix;
            return this;
        }

        /** The lane count. Default {@value JdbiStoreConfig#DEFAULT_LANES}. */
        public Builder lanes(int lanes) {
            this.lanes = lanes;
            return this;
        }

        /** Keep acknowledged messages this long. Default: delete them on acknowledge. */
        public Builder retention(Duration retention) {
            this.retention = retention;
            return this;
        }

        /**
         * Send a PostgreSQL {@code NOTIFY} at each appending commit, so an idle relay wakes at once. Default false:
         * {@code NOTIFY} takes a global lock at commit that serialises concurrent writers (measured here: 8 writers
         * append at 0.37 of their plain rate with it, 0.71 without), while the relay's adaptive polling (it looks
         * again at once after a round that published) already picks up steady traffic within a round. Turn it on
         * for sparse traffic that must go out within milliseconds rather than within the relay's {@code frequency}.
         */
        public Builder notifyOnAppend(boolean notifyOnAppend) {
            this.notifyOnAppend = notifyOnAppend;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting */
        public JdbiStoreConfig build() {
            return new JdbiStoreConfig(
                    Optional.ofNullable(schema), tablePrefix, lanes, Optional.ofNullable(retention), notifyOnAppend);
        }
    }
}
