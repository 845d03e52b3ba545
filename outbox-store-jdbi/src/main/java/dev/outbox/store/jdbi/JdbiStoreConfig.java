package dev.outbox.store.jdbi;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.postgres.Identifiers;
import dev.outbox.postgres.Names;
import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of a {@link JdbiMessageStore}. Immutable; build with {@link #builder()}.
 *
 * <p>Names follow the {@link Identifiers} rule shared with the dedup module: lower-case letters, digits and {@code _},
 * and no name made from them (the longest is {@code <prefix>_parked_message}; with {@code notifyOnAppend}, the channel
 * {@code <schema>_<prefix>_append}) longer than 63 characters. They are always quoted in SQL, so an SQL keyword is a
 * name like any other.
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

    /** Default lane count: 64, enough for several relays to share fairly while keeping a round's query small. */
    public static final int DEFAULT_LANES = 64;

    /** The most lanes a store may have. */
    public static final int MAX_LANES = 4096;

    /** The longest retention: acknowledged messages kept longer than this would rather be archived elsewhere. */
    public static final Duration MAX_RETENTION = Duration.ofDays(3650);

    /**
     * @throws InvalidConfigurationException naming the bad setting: a schema or prefix that breaks the {@link
     *     Identifiers} rule or makes a table, index or NOTIFY channel name too long, lanes outside 1 to {@value
     *     #MAX_LANES}, a retention that is not positive or longer than {@link #MAX_RETENTION}
     */
    public JdbiStoreConfig {
        if (retention == null) {
            throw new InvalidConfigurationException("retention must not be null (use Optional.empty())");
        }
        Names names = Names.of(schema, "schema", tablePrefix, "tablePrefix");
        Validation.between(lanes, 1, MAX_LANES, "lanes");
        retention.ifPresent(r -> Validation.positive(r, MAX_RETENTION, "retention"));
        if (notifyOnAppend) {
            names.channel(CHANNEL_SUFFIX);
        }
        // Every name of every version, rendered now: a prefix that is too long fails here, not in migrate().
        Migrations.of(names, lanes);
    }

    private static final String CHANNEL_SUFFIX = "append";

    /** The defaults: search-path schema, prefix {@code outbox}, 64 lanes, delete on acknowledge, no notify on append. */
    public static JdbiStoreConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The names of the store's tables: the schema and the prefix. */
    Names names() {
        return Names.of(schema, "schema", tablePrefix, "tablePrefix");
    }

    /**
     * One of the store's tables as written in SQL text: quoted, and qualified with the schema when one is set ({@code
     * "billing"."outbox_lane"} for {@code table("lane")}).
     */
    public String qualifiedTable(String table) {
        return names().table(table);
    }

    /** The channel the appending transactions notify and relays listen on; checked when notifyOnAppend is on. */
    String channel() {
        return names().channel(CHANNEL_SUFFIX);
    }

    /** Qualified name of one of the store's tables, as written in SQL text. */
    String table(String name) {
        return qualifiedTable(name);
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
