package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.Message;
import dev.outbox.postgres.Migration;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tables that 0.1.0-SNAPSHOT created (its SQL, its version table keyed by file name, kept verbatim in the test
 * resources) are taken over by the shared migration runner: nothing is applied again, the version table is converted,
 * and the messages already waiting are published as before.
 */
class UpgradeFromFirstSnapshotIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @Test
    void tablesOfTheFirstSnapshotUpgradeInPlace() throws Exception {
        Schema schema = pg.freshSchema();
        Jdbi jdbi = schema.jdbi();
        String prefix = "legacy";
        createAsTheFirstSnapshotDid(schema, prefix, 8);
        jdbi.useHandle(h -> h.execute("insert into legacy_message (lane, topic, type, content_type, payload)"
                + " values (3, 'Orders.Placed', 'Placed', 'text/plain', 'waiting'::bytea)"));

        JdbiMessageStore store = JdbiMessageStore.create(
                jdbi, JdbiStoreConfig.builder().tablePrefix(prefix).lanes(8).build());

        assertThat(store.migrate())
                .as("only the versions after the first snapshot's")
                .extracting(Migration::version)
                .containsExactly(2);
        assertThat(store.migrate()).isEmpty();
        List<Map<String, Object>> versions =
                jdbi.withHandle(h -> h.createQuery("select subject, version, description from legacy_schema_version")
                        .mapToMap()
                        .list());
        assertThat(versions)
                .containsExactly(
                        Map.of("subject", prefix, "version", 1, "description", "outbox"),
                        Map.of("subject", prefix, "version", 2, "description", "positions"));

        assertThat(store.status()).hasSize(8);
        var claims = store.heartbeat("relay", Duration.ofSeconds(30)).claims();
        var waiting = fetch(store, claims);
        assertThat(waiting).singleElement().satisfies(m -> {
            assertThat(m.topic()).isEqualTo("Orders.Placed");
            assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("waiting");
        });
        try (Connection c = schema.dataSource().getConnection()) {
            c.setAutoCommit(false);
            store.append(
                    c,
                    List.of(new dev.outbox.spi.NewMessage(
                            1,
                            Message.builder("Orders.Placed")
                                    .type("Placed")
                                    .payload("new", "text/plain")
                                    .build())));
            c.commit();
        }
        assertThat(store.acknowledge("relay", claims, List.of(waiting.get(0).id())))
                .isEqualTo(1);
        assertThat(fetch(store, claims)).singleElement().satisfies(m -> assertThat(m.lane())
                .isEqualTo(1));
    }

    private static List<dev.outbox.spi.StoredMessage> fetch(
            JdbiMessageStore store, List<dev.outbox.spi.LaneClaim> claims) {
        return store.fetch(new dev.outbox.spi.FetchRequest(
                        claims.stream()
                                .map(c -> new dev.outbox.spi.LaneCursor(c.lane(), 0, 10))
                                .toList(),
                        10,
                        dev.outbox.spi.ReadMark.NONE))
                .messages();
    }

    /** What 0.1.0-SNAPSHOT's migrate() did, statement for statement, on the schema's search path. */
    private static void createAsTheFirstSnapshotDid(Schema schema, String prefix, int lanes) throws Exception {
        String v1;
        try (InputStream in = UpgradeFromFirstSnapshotIT.class.getResourceAsStream("v0_1_0/V1__outbox.sql")) {
            if (in == null) {
                throw new IOException("v0_1_0/V1__outbox.sql is missing from the test resources");
            }
            v1 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String rendered = v1.replace("${t}", prefix + "_")
                .replace("${n}", prefix + "_")
                .replace("${lanes}", Integer.toString(lanes));
        try (Connection c = schema.dataSource().getConnection();
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("create table if not exists " + prefix
                    + "_schema_version (version text primary key, applied_at timestamptz not null default now())");
            st.execute(rendered);
            st.execute("insert into " + prefix + "_schema_version (version) values ('V1__outbox.sql')");
            c.commit();
        }
    }
}
