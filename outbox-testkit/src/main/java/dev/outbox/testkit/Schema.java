package dev.outbox.testkit;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * A schema of its own in the test PostgreSQL, with a connection pool whose search path is that schema. Closing it
 * closes the pool and drops the schema with everything in it.
 */
public final class Schema implements AutoCloseable {
    private final TestPostgres server;
    private final String name;
    private final HikariDataSource pool;
    private final Jdbi jdbi;

    Schema(TestPostgres server, String name) {
        this.server = server;
        this.name = name;
        this.pool = server.pool(name, 16);
        this.jdbi = Jdbi.create(pool);
    }

    /** The schema's name. */
    public String name() {
        return name;
    }

    /** A pooled data source on this schema. */
    public DataSource dataSource() {
        return pool;
    }

    /** A {@link Jdbi} on this schema's pool. */
    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * Another pool on this schema, for a test that needs connections it can cut off on their own (closing the pool
     * makes a relay that uses it look dead to the database). The caller closes it.
     */
    public HikariDataSource newPool(int size) {
        return server.pool(name, size);
    }

    /** The server it lives in. */
    public TestPostgres server() {
        return server;
    }

    /** Closes the pool and drops the schema. */
    @Override
    public void close() {
        pool.close();
        try (Connection c = server.connect();
                Statement st = c.createStatement()) {
            // Backends of relays or listeners that a failing test left open must not keep the schema alive.
            st.execute("select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid()"
                    + " and application_name = 'outbox-" + name + "'");
            st.execute("drop schema if exists " + name + " cascade");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test schema " + name, e);
        }
    }
}
