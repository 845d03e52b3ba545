package dev.outbox.consumer.dedup;

import static dev.outbox.consumer.dedup.Messages.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.MessageId;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dedup tables that 0.1.0-SNAPSHOT created (its SQL and its version table, kept verbatim in the test resources) are
 * taken over by the shared migration runner: nothing is applied again, the version table is converted, and what was
 * processed before is still recognised.
 */
class UpgradeFromFirstSnapshotIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @Test
    void tablesOfTheFirstSnapshotUpgradeInPlace() throws Exception {
        Schema schema = pg.freshSchema();
        Jdbi jdbi = schema.jdbi();
        createAsTheFirstSnapshotDid(schema, "processed", "other_processed");
        jdbi.useHandle(h -> h.execute(
                "insert into processed (consumer, source, message_id) values ('billing'," + " 'warehouse', 1)"));

        Deduplicator dedup = Deduplicator.builder()
                .jdbi(jdbi)
                .consumer("billing")
                .table(DedupTable.named("processed"))
                .build();
        assertThat(dedup.migrate()).as("versions applied again").isEmpty();
        assertThat(ProcessedMessages.create(jdbi, DedupTable.named("other_processed"))
                        .migrate())
                .isEmpty();
        List<Map<String, Object>> versions =
                jdbi.withHandle(h -> h.createQuery("select subject, version from outbox_dedup_version order by subject")
                        .mapToMap()
                        .list());
        assertThat(versions)
                .containsExactly(
                        Map.of("subject", "other_processed", "version", 1),
                        Map.of("subject", "processed", "version", 1));

        int[] calls = {0};
        var handler = dedup.wrap((h, m) -> calls[0]++);
        handler.handle(message("warehouse", 1));
        handler.handle(message("warehouse", 2));
        assertThat(calls[0]).as("only the message not processed before").isEqualTo(1);
        assertThat(dedup.processedMessages().contains("billing", "warehouse", new MessageId(2)))
                .isTrue();
    }

    /** What 0.1.0-SNAPSHOT's migrate() did for each table, on the schema's search path. */
    private static void createAsTheFirstSnapshotDid(Schema schema, String... tables) throws Exception {
        String v1;
        try (InputStream in =
                UpgradeFromFirstSnapshotIT.class.getResourceAsStream("v0_1_0/V1__processed_message.sql")) {
            if (in == null) {
                throw new IOException("v0_1_0/V1__processed_message.sql is missing from the test resources");
            }
            v1 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Connection c = schema.dataSource().getConnection();
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("create table if not exists \"outbox_dedup_version\" (\n"
                    + "    table_name  text        not null,\n"
                    + "    version     integer     not null,\n"
                    + "    description text        not null,\n"
                    + "    applied_at  timestamptz not null default now(),\n"
                    + "    primary key (table_name, version)\n"
                    + ")");
            for (String table : tables) {
                st.execute(v1.replace("${table}", "\"" + table + "\"")
                        .replace("${cleanup_index}", "\"" + table + "_cleanup_idx\""));
                st.execute("insert into \"outbox_dedup_version\" (table_name, version, description) values ('" + table
                        + "', 1, 'processed message table')");
            }
            c.commit();
        }
    }
}
