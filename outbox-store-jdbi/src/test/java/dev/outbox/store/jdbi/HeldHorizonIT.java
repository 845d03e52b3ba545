package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.Message;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.ReadMark;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import dev.outbox.testkit.TestPostgres;
import dev.outbox.testkit.TestRelays;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A relay under a held xmin horizon: another session keeps a transaction with an assigned transaction id open, so
 * vacuum cannot remove the rows the relay deletes. The relay still delivers everything (it reads each lane from its
 * position, so it never walks those rows again), and once the holder ends the table is cleaned and its space reused.
 */
class HeldHorizonIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final int LANES = 8;
    private static final int MESSAGES = 5_000;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final RecordingBroker broker = new RecordingBroker();
    private JdbiStoreConfig config;
    private JdbiMessageStore store;
    private JdbiOutbox outbox;

    @BeforeEach
    void createTables() {
        config = JdbiStoreConfig.builder().tablePrefix("horizon").lanes(LANES).build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void aRelayDrainsUnderAHeldHorizonAndTheTableIsCleanedOnceTheHolderEnds() throws Exception {
        Relay relay = TestRelays.quick(store, broker, "horizon-it").build();
        toClose.add(relay);
        relay.start();

        long before;
        try (Connection holder = TestPostgres.get().connect()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                // An assigned transaction id holds the horizon, as pg_dump or an idle-in-transaction session does.
                st.execute("select pg_current_xact_id()");
            }
            appendAndAwaitDelivery(MESSAGES, 0);

            vacuum();
            await().atMost(WAIT).untilAsserted(() -> assertThat(deadTuples())
                    .as("vacuum could not remove what the relay deleted: the horizon is held")
                    .isGreaterThanOrEqualTo(MESSAGES));
            // More traffic while it is still held: the relay reads past the dead rows, it does not slow to a halt.
            appendAndAwaitDelivery(MESSAGES, MESSAGES);
            before = tableSize();
            holder.rollback();
        }

        // Vacuumed again until clean: another session of the shared server (autovacuum on a big table, a test in
        // another schema) may hold the horizon a little longer than our holder did.
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            vacuum();
            assertThat(deadTuples()).as("cleaned once the holder ended").isZero();
        });
        appendAndAwaitDelivery(MESSAGES, 2 * MESSAGES);
        vacuum();
        assertThat(tableSize()).as("the freed space is used again").isLessThanOrEqualTo(before);
        assertThat(broker.published()).hasSize(3 * MESSAGES);
    }

    /**
     * The fetch's plan does not depend on the statistics. Here the table is analysed while it holds a few pending rows
     * and indexes grown by many more, as a table in steady use is after a vacuum, then filled: each lane is still read
     * from its position through the pending index, and no further than the fetch needs, never by collecting every
     * pending row of the lane (or of the table, through the transaction-id index) and sorting them.
     */
    @Test
    void aFetchReadsEachLaneFromItsPositionWhateverTheStatisticsSay() throws Exception {
        // Tables of its own: no other relay's backend reports scans of them late.
        int lanesOfTable = 64;
        config = JdbiStoreConfig.builder()
                .tablePrefix("horizon_plan")
                .lanes(lanesOfTable)
                .build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        append(20_000);
        pg.jdbi().useHandle(h -> h.execute("delete from " + config.qualifiedTable("message")));
        append(10);
        pg.jdbi().useHandle(h -> h.execute("vacuum analyze " + config.qualifiedTable("message")));
        append(3_000);
        int limit = 100;
        List<LaneCursor> lanes = new ArrayList<>();
        // One worker's share of the lanes, as a relay of two workers reads them.
        for (int lane = 0; lane < lanesOfTable; lane += 2) {
            lanes.add(new LaneCursor(lane, 0, limit));
        }
        IndexUse pendingBefore = indexUse("pending");
        IndexUse xidBefore = indexUse("xid");

        int fetches = 20;
        for (int i = 0; i < fetches; i++) {
            assertThat(store.fetch(new FetchRequest(lanes, limit, ReadMark.NONE))
                            .messages())
                    .hasSize(limit);
        }

        // Statistics reach the views when the backend reports them (at most once a second while busy).
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> assertThat(
                        indexUse("pending").scans() - pendingBefore.scans())
                .as("one scan of the pending index per lane and fetch")
                .isGreaterThanOrEqualTo((long) fetches * LANES));
        assertThat(indexUse("pending").entries() - pendingBefore.entries())
                .as(
                        "each lane read no further than the fetch's limit (its %d pending rows are not all collected)",
                        3_100 / LANES)
                .isLessThanOrEqualTo((long) fetches * LANES * (limit + 1));
        assertThat(indexUse("xid").scans() - xidBefore.scans())
                .as("the transaction-id index is for late messages only, and this fetch looks for none")
                .isZero();
    }

    private record IndexUse(long scans, long entries) {}

    private IndexUse indexUse(String suffix) {
        // A new session each time: statistics are read once per transaction.
        return pg.jdbi()
                .withHandle(h -> h.createQuery("select coalesce(sum(idx_scan), 0), coalesce(sum(idx_tup_read), 0)"
                                + " from pg_stat_user_indexes where relid = cast('"
                                + config.qualifiedTable("message") + "' as regclass) and indexrelname like '%\\_"
                                + suffix + "'")
                        .map((rs, ctx) -> new IndexUse(rs.getLong(1), rs.getLong(2)))
                        .one());
    }

    private void append(int n) {
        for (int i = 0; i < n; i += 100) {
            int from = i;
            pg.jdbi().useTransaction(h -> {
                for (int j = from; j < from + 100; j++) {
                    outbox.in(h)
                            .append(Message.builder("Warehouse.Events.Horizon")
                                    .key("key-" + (j % 50))
                                    .type("Test")
                                    .payload("message " + j, "text/plain")
                                    .build());
                }
            });
        }
    }

    private void appendAndAwaitDelivery(int n, int alreadyDelivered) {
        append(n);
        await().atMost(WAIT).until(() -> broker.published().size() >= alreadyDelivered + n && waiting() == 0);
    }

    private long waiting() {
        return scalar("select count(*) from " + config.qualifiedTable("message"));
    }

    private void vacuum() {
        pg.jdbi().useHandle(h -> h.execute("vacuum " + config.qualifiedTable("message")));
    }

    private long deadTuples() {
        // A new session each time: statistics are read once per transaction.
        return scalar("select n_dead_tup from pg_stat_user_tables where relid = cast('"
                + config.qualifiedTable("message") + "' as regclass)");
    }

    private long tableSize() {
        return scalar("select pg_relation_size(cast('" + config.qualifiedTable("message") + "' as regclass))");
    }

    private long scalar(String sql) {
        return pg.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }
}
