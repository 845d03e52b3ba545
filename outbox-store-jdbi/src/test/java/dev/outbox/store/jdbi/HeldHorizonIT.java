package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.Message;
import dev.outbox.Outbox;
import dev.outbox.Relay;
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

    private void appendAndAwaitDelivery(int n, int alreadyDelivered) {
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
