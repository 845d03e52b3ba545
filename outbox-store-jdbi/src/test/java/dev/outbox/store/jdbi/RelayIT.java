package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Backoff;
import dev.outbox.FatalException;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.ParkedMessage;
import dev.outbox.Relay;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.TransactionRequiredException;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import dev.outbox.testkit.RecordingMonitor;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The relay and the JDBI store together, against a real PostgreSQL, with a recording broker. */
class RelayIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 16;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final RecordingBroker broker = new RecordingBroker();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private JdbiStoreConfig config;
    private JdbiMessageStore store;
    private JdbiOutbox outbox;

    @BeforeEach
    void createTables() {
        config = JdbiStoreConfig.builder()
                .tablePrefix("relay" + tables.incrementAndGet())
                .lanes(LANES)
                .build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(
                Outbox.builder().store(store).maxPayloadBytes(1024).build());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Relay.Builder relayBuilder(JdbiMessageStore relayStore) {
        return Relay.builder()
                .store(relayStore)
                .broker(broker)
                .source("relay-it")
                .monitor(monitor)
                .frequency(Duration.ofMillis(20))
                .backoff(Backoff.fixed(Duration.ofMillis(20)))
                .lease(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(200));
    }

    private Relay started(Relay.Builder builder) {
        Relay relay = builder.build();
        toClose.add(relay);
        relay.start();
        return relay;
    }

    private static Message message(String key, String payload) {
        return Message.builder("Warehouse.Events.Test")
                .key(key)
                .type("Test")
                .payload(payload, "text/plain")
                .build();
    }

    private MessageId appendCommitted(String key, String payload) {
        return pg.jdbi().inTransaction(h -> outbox.in(h).append(message(key, payload)));
    }

    private int rows() {
        return pg.jdbi().withHandle(h -> h.createQuery("select count(*) from " + config.table("message"))
                .mapTo(Integer.class)
                .one());
    }

    private static String payload(OutgoingMessage m) {
        return new String(m.payload(), StandardCharsets.UTF_8);
    }

    /** Per key, the payloads in the order the broker first acknowledged them (what a deduplicating consumer sees). */
    private Map<String, List<String>> firstSeenByKey() {
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        Set<MessageId> seen = new HashSet<>();
        for (OutgoingMessage m : broker.published()) {
            if (seen.add(m.envelope().messageId())) {
                byKey.computeIfAbsent(m.envelope().key(), k -> new ArrayList<>())
                        .add(payload(m));
            }
        }
        return byKey;
    }

    private static List<String> sequence(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Integer.toString(i));
        }
        return out;
    }

    // --- G1 and G6 ---------------------------------------------------------------------------------------------

    @Test
    void aMessageIsStoredIfAndOnlyIfItsTransactionCommits() {
        assertThatThrownBy(() -> pg.jdbi().useTransaction(h -> {
                    outbox.in(h).append(message("k", "rolled back"));
                    throw new IllegalStateException("business rule broken");
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(rows()).isZero();

        appendCommitted("k", "committed");
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void appendingOutsideATransactionFailsAndWritesNothing() throws Exception {
        assertThatThrownBy(() -> pg.jdbi().useHandle(h -> outbox.in(h).append(message("k", "x"))))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("not in a transaction");
        try (Connection c = pg.dataSource().getConnection()) {
            c.setAutoCommit(true);
            assertThatThrownBy(() -> outbox.outbox().in(c))
                    .isInstanceOf(TransactionRequiredException.class)
                    .hasMessageContaining("auto-commit");
        }
        assertThat(rows()).isZero();
    }

    @Test
    void badInputThrowsAtTheCallAndLeavesNothingBehind() {
        pg.jdbi().useTransaction(h -> {
            var in = outbox.in(h);
            assertThatThrownBy(() -> in.append(Message.builder(null)
                            .type("T")
                            .payload("x", "text/plain")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("topic must not be null");
            assertThatThrownBy(() -> in.append(Message.builder("  ")
                            .type("T")
                            .payload("x", "text/plain")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("topic must not be blank");
            assertThatThrownBy(() -> in.append(Message.builder("t")
                            .type("T")
                            .payload((byte[]) null, "x")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("payload");
            assertThatThrownBy(() -> in.append(message("k", "x".repeat(1025))))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("1025 bytes")
                    .hasMessageContaining("maxPayloadBytes of 1024");
            @SuppressWarnings({"unchecked", "rawtypes"})
            Map<String, String> notStrings = (Map) Map.of("retries", 3);
            assertThatThrownBy(() -> in.append(Message.builder("t")
                            .type("T")
                            .payload("x", "text/plain")
                            .headers(notStrings)
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("header 'retries' must have a string value");
            assertThatThrownBy(() -> in.append(Message.builder("t")
                            .type("T")
                            .payload("x", "text/plain")
                            .header("message_id", "42")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("reserved");
            assertThatThrownBy(() -> in.event("t", "k", new Unserializable("x")))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("MessageSerializer");
            assertThatThrownBy(() -> in.appendAll(List.of(message("k", "fine"), message("k", "x".repeat(2000)))))
                    .isInstanceOf(InvalidMessageException.class);
        });
        assertThat(rows()).isZero();
    }

    // --- publishing, order (G3), stops (G4) --------------------------------------------------------------------

    @Test
    void everyCommittedMessageIsPublishedInKeyOrderAndDeleted() {
        for (int i = 0; i < 30; i++) {
            for (int k = 0; k < 10; k++) {
                appendCommitted("key-" + k, Integer.toString(i));
            }
        }
        Relay relay = started(relayBuilder(store).batchSize(64));
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 0);

        Map<String, List<String>> byKey = firstSeenByKey();
        assertThat(byKey).hasSize(10);
        byKey.values().forEach(seq -> assertThat(seq).containsExactlyElementsOf(sequence(30)));
        assertThat(broker.published()).hasSize(300);
        assertThat(broker.published()).allSatisfy(m -> {
            assertThat(m.envelope().source()).isEqualTo("relay-it");
            assertThat(m.envelope().type()).isEqualTo("Test");
        });
        assertThat(relay.ownedLanes()).hasSize(LANES);
    }

    @Test
    void retriedMessagesNeverLetLaterOnesOfTheirKeyOvertakeThem() {
        Map<MessageId, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
        List<MessageId> flaky = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            for (int k = 0; k < 5; k++) {
                MessageId id = appendCommitted("key-" + k, Integer.toString(i));
                if (i % 7 == 3) {
                    flaky.add(id);
                    failuresLeft.put(id, new AtomicInteger(2));
                }
            }
        }
        broker.failWhen(m -> Optional.ofNullable(failuresLeft.get(m.envelope().messageId()))
                .filter(left -> left.getAndDecrement() > 0)
                .map(left -> new RetriableException("broker busy")));
        started(relayBuilder(store).batchSize(50).maxAttempts(5));
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 0);

        firstSeenByKey().values().forEach(seq -> assertThat(seq).containsExactlyElementsOf(sequence(20)));
        assertThat(monitor.stopped()).isEmpty();
        assertThat(broker.attempted().stream()
                        .filter(m -> flaky.contains(m.envelope().messageId())))
                .hasSizeGreaterThanOrEqualTo(flaky.size() * 3);
    }

    @Test
    void aPoisonMessageStopsOnlyItsLaneAndARestartResumesAtIt() {
        MessageId poison = appendCommitted("bad-key", "poison");
        appendCommitted("bad-key", "after poison");
        int poisonLane = dev.outbox.Lanes.laneOf("Warehouse.Events.Test", "bad-key", LANES);
        List<String> otherKeys = new ArrayList<>();
        for (int k = 0; otherKeys.size() < 5; k++) {
            if (dev.outbox.Lanes.laneOf("Warehouse.Events.Test", "good-" + k, LANES) != poisonLane) {
                otherKeys.add("good-" + k);
            }
        }
        otherKeys.forEach(k -> appendCommitted(k, "0"));
        broker.failWhen(m -> m.envelope().messageId().equals(poison)
                ? Optional.of(new FatalException("record too large"))
                : Optional.empty());
        Relay relay = started(relayBuilder(store));

        org.awaitility.Awaitility.await()
                .atMost(WAIT)
                .until(() -> monitor.stopped().size() == 1);
        StoppedLane stop = monitor.stopped().get(0);
        assertThat(stop.lane()).isEqualTo(poisonLane);
        assertThat(stop.messageId()).isEqualTo(poison);
        assertThat(stop.reason()).contains("record too large");
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 2);
        assertThat(firstSeenByKey().keySet()).containsExactlyInAnyOrderElementsOf(otherKeys);
        assertThat(relay.stoppedLanes()).containsExactly(stop);

        // Still stopped later: nothing of the lane is tried again on its own.
        appendCommitted(otherKeys.get(0), "1");
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 2);
        assertThat(broker.attempted().stream()
                        .filter(m -> m.envelope().messageId().equals(poison))
                        .count())
                .isEqualTo(1);

        broker.succeedAll();
        relay.restart(poisonLane);
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 0);
        assertThat(firstSeenByKey().get("bad-key")).containsExactly("poison", "after poison");
        assertThat(monitor.restarted()).containsExactly(poisonLane);
        assertThat(relay.stoppedLanes()).isEmpty();
        assertThatThrownBy(() -> relay.restart(poisonLane))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not stopped");
        assertThatThrownBy(() -> relay.restart(LANES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void retriableFailuresStopTheLaneAfterMaxAttempts() {
        MessageId stuck = appendCommitted("k", "stuck");
        broker.failWhen(m -> Optional.of(new RetriableException("timeout")));
        started(relayBuilder(store).maxAttempts(3));
        org.awaitility.Awaitility.await()
                .atMost(WAIT)
                .until(() -> monitor.stopped().size() == 1);
        assertThat(monitor.stopped().get(0).messageId()).isEqualTo(stuck);
        assertThat(monitor.stopped().get(0).attempts()).isEqualTo(3);
        assertThat(monitor.stopped().get(0).reason()).contains("failed 3 times").contains("timeout");
        assertThat(broker.attempted()).hasSize(3);
    }

    @Test
    void skipParksTheHeadTheLaneFlowsAndReplayRepublishesIt() {
        MessageId poison = appendCommitted("k", "poison");
        appendCommitted("k", "next");
        broker.failWhen(m -> m.envelope().messageId().equals(poison)
                ? Optional.of(new FatalException("unroutable"))
                : Optional.empty());
        Relay relay = started(relayBuilder(store));
        org.awaitility.Awaitility.await()
                .atMost(WAIT)
                .until(() -> monitor.stopped().size() == 1);

        ParkedMessage parked = relay.skip(monitor.stopped().get(0).lane());
        assertThat(parked.messageId()).isEqualTo(poison);
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 0);
        assertThat(firstSeenByKey().get("k")).containsExactly("next");
        assertThat(store.parked()).extracting(ParkedMessage::messageId).containsExactly(poison);

        broker.succeedAll();
        assertThat(store.replay(poison)).isTrue();
        org.awaitility.Awaitility.await()
                .atMost(WAIT)
                .until(() -> broker.published().size() == 2);
        assertThat(broker.published().get(1).envelope().messageId()).isEqualTo(poison);
        assertThat(rows()).isZero();
    }

    @Test
    void drainNowPublishesOnTheCallersThread() {
        for (int i = 0; i < 25; i++) {
            appendCommitted("k" + (i % 3), Integer.toString(i));
        }
        Relay relay = relayBuilder(store).batchSize(10).build();
        toClose.add(relay);
        var result = relay.drainNow();
        assertThat(result.published()).isEqualTo(25);
        assertThat(result.rounds()).isGreaterThanOrEqualTo(3);
        assertThat(result.stopped()).isEmpty();
        assertThat(rows()).isZero();
        assertThat(relay.drainNow().published()).isZero();
    }

    // --- several relays -------------------------------------------------------------------------------------------

    @Test
    void twoRelaysShareTheLanesAndTheSurvivorTakesOverFromADeadOne() throws Exception {
        HikariDataSource doomedPool = pg.schema().newPool(4);
        toClose.add(doomedPool);
        JdbiMessageStore doomedStore = JdbiMessageStore.create(Jdbi.create(doomedPool), config);
        Relay a = started(relayBuilder(store).id("relay-a").batchSize(100));
        Relay b = started(relayBuilder(doomedStore).id("relay-b").batchSize(100));

        org.awaitility.Awaitility.await()
                .atMost(WAIT)
                .until(() ->
                        a.ownedLanes().size() == LANES / 2 && b.ownedLanes().size() == LANES / 2);
        assertThat(a.ownedLanes()).doesNotContainAnyElementsOf(b.ownedLanes());

        int keys = 40;
        int perKey = 25;
        ExecutorService writers = Executors.newFixedThreadPool(4, r -> new Thread(r, "outbox-test-writer"));
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int i = 0; i < perKey; i++) {
                        for (int k = writer; k < keys; k += 4) {
                            appendCommitted("key-" + k, Integer.toString(i));
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 0);
            // In steady state every message went out once: no lane was published by two relays at once.
            assertThat(broker.published()).hasSize(keys * perKey);

            // Relay b dies: its database connections go away mid-stream, and it never says goodbye.
            done.clear();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int i = perKey; i < 2 * perKey; i++) {
                        for (int k = writer; k < keys; k += 4) {
                            appendCommitted("key-" + k, Integer.toString(i));
                        }
                    }
                }));
            }
            org.awaitility.Awaitility.await()
                    .atMost(WAIT)
                    .until(() -> broker.published().size() > keys * perKey + 100);
            doomedPool.close();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            writers.shutdownNow();
            assertThat(writers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }

        org.awaitility.Awaitility.await()
                .atMost(WAIT)
                .until(() -> a.ownedLanes().size() == LANES);
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> rows() == 0);
        Map<String, List<String>> byKey = firstSeenByKey();
        assertThat(byKey).hasSize(keys);
        byKey.values().forEach(seq -> assertThat(seq).containsExactlyElementsOf(sequence(2 * perKey)));
        Map<MessageId, Integer> copies = new HashMap<>();
        broker.published().forEach(m -> copies.merge(m.envelope().messageId(), 1, Integer::sum));
        long duplicated = copies.values().stream().filter(n -> n > 1).count();
        // Only what b had published but not yet deleted when it died goes out twice: at most one batch.
        assertThat(duplicated).isLessThanOrEqualTo(100);
    }

    record Unserializable(String value) {}
}
