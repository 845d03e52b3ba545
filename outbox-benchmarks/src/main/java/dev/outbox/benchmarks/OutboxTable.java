package dev.outbox.benchmarks;

import dev.outbox.Lanes;
import dev.outbox.spi.NewMessage;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.Schema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * The outbox tables in a schema of their own, and the means to fill them: a store for appends and a loader for
 * backlogs. Closing it drops the schema.
 */
final class OutboxTable implements AutoCloseable {
    private final Env env;
    private final Schema schema;
    private final JdbiStoreConfig config;
    private final JdbiMessageStore store;

    private OutboxTable(Env env, Schema schema, JdbiStoreConfig config) {
        this.env = env;
        this.schema = schema;
        this.config = config;
        this.store = JdbiMessageStore.create(schema.jdbi(), config);
    }

    /** Creates the schema and migrates the store's tables into it, with the run's {@code notifyOnAppend}. */
    static OutboxTable create(Env env, int lanes) {
        boolean notifyOnAppend = env.settings().notifyOnAppend();
        Schema schema = env.newSchema();
        JdbiStoreConfig config = JdbiStoreConfig.builder()
                .schema(schema.name())
                .lanes(lanes)
                .notifyOnAppend(notifyOnAppend)
                .build();
        OutboxTable t = new OutboxTable(env, schema, config);
        t.store.migrate();
        return t;
    }

    /** The relays' polling interval for this run. */
    Duration frequency() {
        return env.settings().frequency();
    }

    Schema schema() {
        return schema;
    }

    JdbiStoreConfig config() {
        return config;
    }

    /** A store on these tables for appending (the appender writes through the caller's connection). */
    JdbiMessageStore store() {
        return store;
    }

    /** A store on these tables whose relay-side statements go through {@code jdbi}. */
    JdbiMessageStore storeOn(Jdbi jdbi) {
        return JdbiMessageStore.create(jdbi, config);
    }

    String messageTable() {
        return schema.name() + "." + config.tablePrefix() + "_message";
    }

    /**
     * Copies a backlog in an open transaction; {@link Load#commit()} makes it visible at once. The last message goes
     * through the store's own append, so the transaction wakes listening relays as an application's would.
     */
    Load copy(Messages m, long first, long count) throws SQLException {
        Connection c = env.pg().connect();
        c.setAutoCommit(false);
        try {
            if (count > 1) {
                Backlog.copy(c, messageTable(), config.lanes(), m, first, count - 1);
            }
            long last = first + count - 1;
            store.append(
                    c,
                    List.of(new NewMessage(Lanes.laneOf(m.topic(), m.keyOf(last), config.lanes()), m.message(last))));
            return new Load(c);
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            c.close();
            throw e;
        }
    }

    /** Copies and commits a backlog. */
    void load(Messages m, long first, long count) throws SQLException {
        copy(m, first, count).commit();
    }

    /** Messages waiting in the table. */
    long pending() throws SQLException {
        try (Connection c = env.pg().connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select count(*) from " + messageTable())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Loads messages {@code first .. first + count - 1} and gives the table the statistics autovacuum gives a table in
     * service. Without them, the planner guesses that a relay's lanes select a few rows and reads the whole backlog
     * in every fetch (see the drain and relay notes in the report); a table in service has had them since its first
     * minutes.
     */
    void warm(Messages m, long first, long count) throws SQLException {
        load(m, first, count);
        if (!env.settings().coldTable()) {
            vacuum();
        }
    }

    /** Runs {@code vacuum analyze} on the message table. */
    void vacuum() throws SQLException {
        try (Connection c = env.pg().connect();
                Statement st = c.createStatement()) {
            st.execute("vacuum analyze " + messageTable());
        }
    }

    @Override
    public void close() {
        env.dropSchema(schema);
    }

    /** A loaded backlog waiting for its commit. */
    static final class Load {
        private final Connection connection;

        private Load(Connection connection) {
            this.connection = connection;
        }

        /**
         * Commits, closes the connection and returns when the commit returned (System.nanoTime).
         *
         * @throws SQLException if the commit failed
         */
        long commit() throws SQLException {
            try (Connection c = connection) {
                c.commit();
                return System.nanoTime();
            }
        }
    }
}
