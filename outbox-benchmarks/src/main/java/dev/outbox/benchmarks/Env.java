package dev.outbox.benchmarks;

import dev.outbox.testkit.Schema;
import dev.outbox.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The services a run uses, opened on demand and closed at the end: the PostgreSQL the tests use (its schemas dropped
 * after each benchmark), the embedded Kafka and the local RabbitMQ. Used from the main thread.
 */
final class Env implements AutoCloseable {
    private final Settings settings;
    private final Report report;
    private final TestPostgres pg;
    private final String runId;
    private final List<Schema> schemas = new ArrayList<>();
    private Connection walConnection;
    private KafkaSide kafka;
    private RabbitSide rabbit;

    Env(Settings settings, Report report) {
        this.settings = settings;
        this.report = report;
        this.pg = TestPostgres.get();
        this.runId = UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
    }

    Settings settings() {
        return settings;
    }

    Report report() {
        return report;
    }

    TestPostgres pg() {
        return pg;
    }

    String runId() {
        return runId;
    }

    /** A schema of its own, dropped by {@link #dropSchema} or at the end of the run. */
    Schema newSchema() {
        Schema s = pg.createSchema();
        schemas.add(s);
        return s;
    }

    void dropSchema(Schema s) {
        if (schemas.remove(s)) {
            s.close();
        }
    }

    /** The server's WAL insert position in bytes. */
    synchronized long walPosition() {
        try {
            if (walConnection == null || walConnection.isClosed()) {
                walConnection = pg.connect();
            }
            return Usage.walPosition(walConnection);
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the WAL position", e);
        }
    }

    String postgresVersion() {
        try (Connection c = pg.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("show server_version")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "unknown";
        }
    }

    Side side(String name) {
        return switch (name) {
            case "kafka" -> kafka();
            case "rabbit" -> rabbit();
            default -> throw new IllegalArgumentException("no broker " + name);
        };
    }

    KafkaSide kafka() {
        if (kafka == null) {
            long t = System.nanoTime();
            kafka = KafkaSide.start(settings.partitions(), runId, settings.kafkaProducer());
            Bench.log("embedded Kafka %s up in %.1f s", kafka.serverVersion(), (System.nanoTime() - t) / 1e9);
            t = System.nanoTime();
            kafka.warmUp(settings.keys(), settings.payloadBytes(), settings.brokerWarmMessages());
            Bench.log(
                    "embedded Kafka warmed with %d records in %.1f s",
                    settings.brokerWarmMessages(), (System.nanoTime() - t) / 1e9);
        }
        return kafka;
    }

    RabbitSide rabbit() {
        if (rabbit == null) {
            rabbit = RabbitSide.connect(runId);
        }
        return rabbit;
    }

    @Override
    public void close() {
        for (Schema s : List.copyOf(schemas)) {
            try {
                dropSchema(s);
            } catch (RuntimeException e) {
                Bench.log("could not drop schema %s: %s", s.name(), e);
            }
        }
        if (kafka != null) {
            kafka.close();
        }
        if (rabbit != null) {
            rabbit.close();
        }
        try {
            if (walConnection != null) {
                walConnection.close();
            }
        } catch (SQLException e) {
            // Closing at exit.
        }
    }
}
