package dev.outbox.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension that gives a test class a schema of its own in a real PostgreSQL ({@link TestPostgres}) and drops
 * it after the class, also when tests fail.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final PostgresExtension pg = new PostgresExtension();
 *
 * @Test
 * void something() {
 *     Jdbi jdbi = pg.jdbi();
 * }
 * }</pre>
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
    private final List<Schema> extra = new ArrayList<>();
    private Schema schema;

    @Override
    public void beforeAll(ExtensionContext context) {
        schema = TestPostgres.get().createSchema();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RuntimeException first = null;
        List<Schema> all = new ArrayList<>(extra);
        all.add(schema);
        for (Schema s : all) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        extra.clear();
        if (first != null) {
            throw first;
        }
    }

    /** The class's schema. */
    public Schema schema() {
        if (schema == null) {
            throw new IllegalStateException("register the extension as a static field with @RegisterExtension");
        }
        return schema;
    }

    /** A {@link Jdbi} on the class's schema. */
    public Jdbi jdbi() {
        return schema().jdbi();
    }

    /** A pooled data source on the class's schema. */
    public DataSource dataSource() {
        return schema().dataSource();
    }

    /**
     * A connection of {@link #dataSource()} with auto-commit off: a transaction to append in, committed or rolled back
     * and closed by the caller.
     */
    public Connection transaction() {
        try {
            Connection c = dataSource().getConnection();
            c.setAutoCommit(false);
            return c;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open a transaction on the test schema", e);
        }
    }

    /** Another schema, for a test that needs a clean one; dropped with the class's. */
    public synchronized Schema freshSchema() {
        Schema s = TestPostgres.get().createSchema();
        extra.add(s);
        return s;
    }
}
