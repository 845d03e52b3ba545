package dev.outbox.consumer.dedup;

import static dev.outbox.consumer.dedup.Messages.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.MessageId;
import dev.outbox.postgres.Migration;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.Schema;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shipped migrations: applied once under a lock, recorded, printable, safe to repeat. */
class MigrationIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @Test
    void migrateAppliesEachVersionOnceAndRecordsIt() {
        Schema schema = pg.freshSchema();
        ProcessedMessages records = ProcessedMessages.create(schema.jdbi(), DedupTable.DEFAULT);

        List<Migration> first = records.migrate();
        List<Migration> second = records.migrate();

        assertThat(first).extracting(Migration::version).containsExactly(1);
        assertThat(second).isEmpty();
        Jdbi jdbi = schema.jdbi();
        List<Map<String, Object>> versions =
                jdbi.withHandle(h -> h.createQuery("select subject, version from outbox_dedup_version")
                        .mapToMap()
                        .list());
        assertThat(versions).containsExactly(Map.of("subject", "outbox_processed_message", "version", 1));
        assertThat(columns(jdbi, schema.name(), "outbox_processed_message"))
                .containsExactly("consumer", "source", "message_id", "processed_at");
        String index = jdbi.withHandle(
                h -> h.createQuery("select indexdef from pg_indexes where schemaname = :s and indexname = :i")
                        .bind("s", schema.name())
                        .bind("i", "outbox_processed_message_cleanup_idx")
                        .mapTo(String.class)
                        .one());
        assertThat(index).contains("(consumer, processed_at)");
    }

    @Test
    void instancesMigratingAtOnceApplyEachVersionOnce() throws Exception {
        Schema schema = pg.freshSchema();
        int instances = 4;
        ExecutorService pool = Executors.newFixedThreadPool(instances, r -> new Thread(r, "outbox-test-migrate"));
        try {
            CyclicBarrier start = new CyclicBarrier(instances);
            List<Future<List<Migration>>> results = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return ProcessedMessages.create(schema.jdbi(), DedupTable.DEFAULT)
                            .migrate();
                }));
            }
            int applied = 0;
            for (Future<List<Migration>> f : results) {
                applied += f.get(30, TimeUnit.SECONDS).size();
            }
            assertThat(applied).isEqualTo(1);
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void printedSqlCreatesAWorkingTableAndMigrateAcceptsItAfterwards() throws Exception {
        Schema schema = pg.freshSchema();
        DedupTable table = DedupTable.named("pasted").inSchema(schema.name());
        // As Flyway or psql would run it: the text as it is, on a plain connection.
        try (Connection c = schema.dataSource().getConnection();
                Statement st = c.createStatement()) {
            st.execute(table.migrationSql());
        }
        Deduplicator dedup = Deduplicator.builder()
                .jdbi(schema.jdbi())
                .consumer("billing")
                .table(table)
                .build();
        dedup.wrap((h, m) -> {}).handle(message("warehouse", 1));
        assertThat(dedup.processedMessages().contains("billing", "warehouse", new MessageId(1)))
                .isTrue();

        assertThat(dedup.migrate()).extracting(Migration::version).containsExactly(1);
        assertThat(dedup.migrate()).isEmpty();
        assertThat(dedup.processedMessages().count("billing")).isEqualTo(1);
    }

    @Test
    void tablesOfOneSchemaShareTheVersionTable() {
        Schema schema = pg.freshSchema();
        ProcessedMessages.create(schema.jdbi(), DedupTable.named("orders_processed"))
                .migrate();
        ProcessedMessages.create(schema.jdbi(), DedupTable.named("order")).migrate();

        List<String> tables = schema.jdbi()
                .withHandle(h -> h.createQuery("select subject from outbox_dedup_version order by subject")
                        .mapTo(String.class)
                        .list());
        assertThat(tables).containsExactly("order", "orders_processed");
        // "order" is a reserved word: usable because names are always quoted.
        Deduplicator dedup = Deduplicator.builder()
                .jdbi(schema.jdbi())
                .consumer("c")
                .table(DedupTable.named("order"))
                .build();
        dedup.wrap((h, m) -> {}).handle(message("warehouse", 1));
        assertThat(dedup.processedMessages().count("c")).isEqualTo(1);
    }

    @Test
    void aTableInAnotherSchemaThanTheSearchPath() {
        Schema home = pg.freshSchema();
        Schema elsewhere = pg.freshSchema();
        DedupTable table =
                DedupTable.named("processed").inSchema(elsewhere.name()).withVersionTable("dedup_versions");

        Deduplicator dedup = Deduplicator.builder()
                .jdbi(home.jdbi())
                .consumer("billing")
                .table(table)
                .build();
        assertThat(dedup.migrate()).hasSize(1);
        dedup.wrap((h, m) -> {}).handle(message("warehouse", 1));

        assertThat(columns(home.jdbi(), elsewhere.name(), "processed")).hasSize(4);
        assertThat(columns(home.jdbi(), home.name(), "processed")).isEmpty();
        assertThat(columns(home.jdbi(), elsewhere.name(), "dedup_versions")).hasSize(4);
    }

    @Test
    void aMissingSchemaIsCreated() {
        String name = "outbox_created_" + Long.toHexString(System.nanoTime());
        DedupTable table = DedupTable.DEFAULT.inSchema(name);
        try {
            assertThat(ProcessedMessages.create(pg.jdbi(), table).migrate()).hasSize(1);
            assertThat(columns(pg.jdbi(), name, DedupTable.DEFAULT_NAME)).hasSize(4);
        } finally {
            pg.jdbi().useHandle(h -> h.execute("drop schema if exists " + name + " cascade"));
        }
    }

    private static List<String> columns(Jdbi jdbi, String schema, String table) {
        return jdbi.withHandle(h -> h.createQuery("select column_name from information_schema.columns"
                        + " where table_schema = :s and table_name = :t order by ordinal_position")
                .bind("s", schema)
                .bind("t", table)
                .mapTo(String.class)
                .list());
    }
}
