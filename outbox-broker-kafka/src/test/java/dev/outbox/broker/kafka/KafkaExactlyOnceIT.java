package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.Envelope;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.memory.RecordingMonitor;
import dev.outbox.spi.LaneClaim;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.TestRelays;
import dev.outbox.testkit.TestTransactions;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once mode end to end, read by a plain {@code read_committed} consumer: every committed message exactly
 * once, nothing of a rolled-back transaction, each key in order.
 */
class KafkaExactlyOnceIT {
    private static final Logger log = LoggerFactory.getLogger(KafkaExactlyOnceIT.class);

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String RUN = "eos" + UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 16;
    private static final int PARTITIONS = 4;
    private static final Duration WAIT = Duration.ofSeconds(120);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private EmbeddedKafka kafka;
    private JdbiMessageStore store;
    private JdbiOutbox outbox;
    private String topic;
    private String positions;

    private void setUp(EmbeddedKafka kafka) throws Exception {
        this.kafka = kafka;
        int n = tables.incrementAndGet();
        JdbiStoreConfig config =
                JdbiStoreConfig.builder().tablePrefix("eos" + n).lanes(LANES).build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        topic = RUN + ".Stream" + n + ".Events.Tick";
        positions = RUN + "-positions-" + n;
        topics.add(topic);
        topics.add(positions);
        topics.add(positions + "-claims");
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private KafkaBrokerSettings.Builder settings() {
        return TestKafka.settings(kafka, PARTITIONS).exactlyOnce().positionsTopic(positions);
    }

    private KafkaBroker broker(KafkaBrokerSettings.Builder settings) {
        KafkaBroker broker = KafkaBroker.create(settings.build());
        toClose.add(broker);
        return broker;
    }

    private Relay startRelay(KafkaBroker broker) {
        return startRelay(broker, "relay-" + UUID.randomUUID().toString().substring(0, 6));
    }

    private Relay startRelay(KafkaBroker broker, String id) {
        Relay relay = TestRelays.quick(store, broker, "eos")
                .id(id)
                .monitor(monitor)
                .lease(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(200))
                .build();
        toClose.add(relay);
        relay.start();
        return relay;
    }

    private CommittedReader reader() {
        CommittedReader reader = new CommittedReader(kafka, topic);
        toClose.add(reader);
        return reader;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        if (kafka != null && kafka.isRunning()) {
            try (Admin admin = TestKafka.admin(kafka)) {
                admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void eachCommittedMessageIsReadOnceByAReadCommittedConsumerAndRolledBackOnesNever() throws Exception {
        setUp(EmbeddedKafka.shared());
        KafkaBroker broker = broker(settings());
        assertThat(broker.transactional()).isTrue();
        Set<Long> committed = ConcurrentHashMap.newKeySet();
        startRelay(broker);
        CommittedReader reader = reader();
        for (int tx = 0; tx < 600; tx++) {
            boolean commit = tx % 10 != 9;
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(message("key-" + ((tx * 5 + i) % 13), "{\"n\":" + (tx * 5 + i) + "}"));
            }
            transaction(batch, commit).forEach(id -> committed.add(id.value()));
        }
        await().atMost(WAIT).until(() -> reader.poll().ids().containsAll(committed));
        await().atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 0);
        reader.readToEnd(WAIT);
        assertThat(committed).hasSize(2_700);
        reader.assertExactlyOnce(committed);
        reader.assertKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
    }

    @Test
    void kafkaSigkilledMidStreamAndRestartedLeavesNoDuplicateAndKeepsKeyOrder() throws Exception {
        EmbeddedKafka own = EmbeddedKafka.builder().build();
        toClose.add(own);
        own.start();
        setUp(own);
        KafkaBroker broker = broker(settings()
                .producerProperty("request.timeout.ms", "3000")
                .producerProperty("delivery.timeout.ms", "10000")
                .producerProperty("max.block.ms", "3000")
                .adminTimeout(Duration.ofSeconds(5)));
        AtomicInteger failures = new AtomicInteger();
        Relay relay = TestRelays.quick(store, broker, "eos")
                .monitor(monitor)
                .listener(new RelayListener() {
                    @Override
                    public void publishFailed(OutgoingMessage message, OutboxException error) {
                        failures.incrementAndGet();
                    }
                })
                .build();
        toClose.add(relay);
        relay.start();
        CommittedReader reader = reader();
        Writer writer = new Writer();
        try {
            await().atMost(WAIT).until(() -> reader.poll().ids().size() >= 1_500);
            own.kill();
            int atKill = writer.committed.size();
            // The application keeps committing while Kafka is down; the relay's transactions fail (their outcome
            // unknown to it) and it keeps retrying.
            await().atMost(WAIT).until(() -> writer.committed.size() >= atKill + 1_000 && failures.get() > 0);
            own.start();
            int afterRestart = reader.poll().ids().size();
            await().atMost(WAIT).until(() -> reader.poll().ids().size() >= afterRestart + 1_500);
        } finally {
            writer.stop();
        }
        await().atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 0);
        reader.readToEnd(WAIT);
        assertThat(writer.committed).hasSizeGreaterThanOrEqualTo(4_000);
        reader.assertExactlyOnce(writer.committed);
        reader.assertKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
        log.info("Kafka killed mid-stream: {} committed, each received once", writer.committed.size());
    }

    @Test
    void lanesMovingBetweenSeveralRelaysLeaveNoDuplicateAndKeepKeyOrder() throws Exception {
        setUp(EmbeddedKafka.shared());
        // Each relay has a broker of its own, as relays in separate processes do.
        Relay first = startRelay(broker(settings().clientId("outbox-it-1")), "relay-1");
        CommittedReader reader = reader();
        Writer writer = new Writer();
        try {
            await().atMost(WAIT).until(() -> reader.poll().ids().size() >= 1_000);
            Relay second = startRelay(broker(settings().clientId("outbox-it-2")), "relay-2");
            Relay third = startRelay(broker(settings().clientId("outbox-it-3")), "relay-3");
            await().atMost(WAIT)
                    .until(() -> !second.ownedLanes().isEmpty()
                            && !third.ownedLanes().isEmpty());
            int shared = reader.poll().ids().size();
            await().atMost(WAIT).until(() -> reader.poll().ids().size() >= shared + 1_000);
            // The first leaves mid-stream; the others take its lanes.
            first.close();
            await().atMost(WAIT)
                    .until(() -> second.ownedLanes().size() + third.ownedLanes().size() == LANES);
            int left = reader.poll().ids().size();
            await().atMost(WAIT).until(() -> reader.poll().ids().size() >= left + 1_000);
        } finally {
            writer.stop();
        }
        await().atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 0);
        reader.readToEnd(WAIT);
        assertThat(writer.committed).hasSizeGreaterThanOrEqualTo(3_000);
        reader.assertExactlyOnce(writer.committed);
        reader.assertKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
    }

    /**
     * The gap: a transaction takes a lower id and stays open while later messages of its lane are committed and
     * published; each batch's position records exactly the ids it delivered, so once the slow transaction commits its
     * message is published, once, and its key's next message follows it.
     */
    @Test
    void aTransactionCommittingAfterLaterIdsOfItsLaneIsPublishedOnceAndInKeyOrder() throws Exception {
        setUp(EmbeddedKafka.shared());
        int lane = Lanes.laneOf(topic, "slow", LANES);
        String neighbour = null;
        for (int k = 0; neighbour == null; k++) {
            if (Lanes.laneOf(topic, "fast-" + k, LANES) == lane) {
                neighbour = "fast-" + k;
            }
        }
        // Two relays, so that the lane also moves while the slow transaction is open.
        Relay first = startRelay(broker(settings().clientId("outbox-it-1")), "relay-1");
        CommittedReader reader = reader();
        Set<Long> committed = new HashSet<>();
        MessageId early;
        try (Connection slow = pg.transaction()) {
            early = outbox.outbox().in(slow).append(message("slow", "{\"early\":true}"));
            for (int i = 0; i < 200; i++) {
                transaction(List.of(message(neighbour, "{\"i\":" + i + "}")), true)
                        .forEach(id -> committed.add(id.value()));
            }
            await().atMost(WAIT).until(() -> reader.poll().ids().containsAll(committed));
            first.close();
            startRelay(broker(settings().clientId("outbox-it-2")), "relay-2");
            for (int i = 200; i < 400; i++) {
                transaction(List.of(message(neighbour, "{\"i\":" + i + "}")), true)
                        .forEach(id -> committed.add(id.value()));
            }
            await().atMost(WAIT).until(() -> reader.poll().ids().containsAll(committed));
            assertThat(committed).allSatisfy(id -> assertThat(id).isGreaterThan(early.value()));
            assertThat(reader.ids()).doesNotContain(early.value());
            slow.commit();
        }
        committed.add(early.value());
        // Written after the slow transaction committed, as code that serialises the writes of a key does.
        MessageId next =
                transaction(List.of(message("slow", "{\"next\":true}")), true).get(0);
        committed.add(next.value());

        await().atMost(WAIT)
                .until(() -> reader.poll().ids().containsAll(committed) && TestRelays.backlog(store, -1) == 0);
        reader.readToEnd(WAIT);
        reader.assertExactlyOnce(committed);
        reader.assertKeyOrder();
        assertThat(reader.received().stream()
                        .filter(r -> "slow".equals(r.key()))
                        .map(CommittedReader.Received::id))
                .containsExactly(early.value(), next.value());
    }

    /**
     * G4 in this mode: a record Kafka's producer refuses inside a transaction (larger than its max.request.size) aborts
     * that transaction; it stops its lane, the later messages of its lane are not committed, the other lanes' messages
     * are committed in a new transaction, once.
     */
    @Test
    void aMessageRefusedInsideATransactionStopsItsLaneWhileOthersFlowOnce() throws Exception {
        setUp(EmbeddedKafka.shared());
        KafkaBroker broker = broker(settings().producerProperty("max.request.size", "20000"));
        int stuckLane = Lanes.laneOf(topic, "stuck", LANES);
        String laneNeighbour = null;
        for (int k = 0; laneNeighbour == null; k++) {
            if (Lanes.laneOf(topic, "near-" + k, LANES) == stuckLane) {
                laneNeighbour = "near-" + k;
            }
        }
        Set<Long> before = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            transaction(List.of(message("stuck", "{\"i\":" + i + "}")), true).forEach(id -> before.add(id.value()));
        }
        MessageId poison = transaction(List.of(message("stuck", "{\"big\":\"" + "x".repeat(30_000) + "\"}")), true)
                .get(0);
        Set<Long> held = new HashSet<>();
        Set<Long> flowing = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            String key = i % 10 == 0 ? "stuck" : i % 10 == 1 ? laneNeighbour : "key-" + (i % 7);
            MessageId id = transaction(List.of(message(key, "{\"i\":" + i + "}")), true)
                    .get(0);
            (Lanes.laneOf(topic, key, LANES) == stuckLane ? held : flowing).add(id.value());
        }
        assertThat(flowing).isNotEmpty();
        CommittedReader reader = reader();
        startRelay(broker);

        Set<Long> delivered = new HashSet<>(before);
        delivered.addAll(flowing);
        await().atMost(WAIT)
                .until(() -> monitor.stopped().size() == 1
                        && reader.poll().ids().containsAll(delivered)
                        && TestRelays.backlog(store, -1) == 1 + held.size());
        StoppedLane stopped = monitor.stopped().get(0);
        assertThat(stopped.lane()).isEqualTo(stuckLane);
        assertThat(stopped.messageId()).isEqualTo(poison);
        assertThat(stopped.reason()).contains("RecordTooLarge");
        reader.readToEnd(WAIT);
        reader.assertExactlyOnce(delivered);
        reader.assertKeyOrder();
        assertThat(reader.ids()).doesNotContain(poison.value()).doesNotContainAnyElementsOf(held);
    }

    /**
     * The fencing at the broker's level, as a relay paused past its lease would meet it: once another broker has taken
     * a lane over under a higher epoch, the first can commit nothing more into it, and its stale take-over is refused;
     * the new owner learns exactly which ids the first delivered last.
     */
    @Test
    void aBrokerWhoseLaneWasTakenOverUnderAHigherEpochCanCommitNothingMoreIntoIt() throws Exception {
        setUp(EmbeddedKafka.shared());
        KafkaBroker paused = broker(settings().clientId("outbox-it-paused"));
        KafkaBroker next = broker(settings().clientId("outbox-it-next"));
        int lane = 3;
        assertThat(paused.takeOver(List.of(new LaneClaim(lane, 1, false)))).isEmpty();
        List<OutgoingMessage> first = List.of(outgoing(101, lane), outgoing(102, lane), outgoing(105, lane));
        for (CompletableFuture<Void> f : paused.publish(first)) {
            f.get(30, TimeUnit.SECONDS);
        }

        // The lane moves while the first broker is "paused": the new owner fences it and reads its positions.
        Map<Integer, Set<MessageId>> delivered = next.takeOver(List.of(new LaneClaim(lane, 2, false)));
        assertThat(delivered)
                .containsOnlyKeys(lane)
                .containsEntry(lane, Set.of(new MessageId(101), new MessageId(102), new MessageId(105)));

        // Woken up, the first broker tries to go on with the lane: refused, nothing committed.
        List<CompletableFuture<Void>> late = paused.publish(List.of(outgoing(106, lane), outgoing(107, lane)));
        for (CompletableFuture<Void> f : late) {
            assertThat(f)
                    .failsWithin(Duration.ofSeconds(30))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(RetriableException.class);
        }
        assertThatThrownBy(() -> paused.takeOver(List.of(new LaneClaim(lane, 1, false))))
                .isInstanceOf(RetriableException.class)
                .hasMessageContaining("epoch 2");

        // The new owner publishes the lane on; a read_committed consumer sees each id once.
        for (CompletableFuture<Void> f : next.publish(List.of(outgoing(106, lane), outgoing(107, lane)))) {
            f.get(30, TimeUnit.SECONDS);
        }
        CommittedReader reader = reader();
        await().atMost(WAIT).until(() -> reader.poll().ids().size() >= 5);
        reader.readToEnd(WAIT);
        reader.assertExactlyOnce(Set.of(101L, 102L, 105L, 106L, 107L));
        // A lane this broker never took over is refused too.
        assertThat(next.publish(List.of(outgoing(200, lane + 1))).get(0))
                .failsWithin(Duration.ofSeconds(30))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(RetriableException.class);
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private Message message(String key, String payload) {
        return Message.builder(topic)
                .key(key)
                .type("Tick")
                .payload(payload, "application/json")
                .build();
    }

    private OutgoingMessage outgoing(long id, int lane) {
        Envelope e = new Envelope(
                new MessageId(id), "eos", topic, "key-" + lane, "Tick", "application/json", Instant.now(), Map.of());
        return new OutgoingMessage(e, ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8), lane);
    }

    private List<MessageId> transaction(List<Message> messages, boolean commit) {
        return TestTransactions.append(pg.jdbi(), outbox.outbox(), messages, commit);
    }

    /**
     * Appends transactions of 5 messages over 13 keys until stopped (at most 5,000), one in ten rolled back; keeps the
     * ids committed.
     */
    private final class Writer {
        final Set<Long> committed = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final CompletableFuture<Void> done;

        Writer() {
            done = CompletableFuture.runAsync(() -> {
                for (int tx = 0; running.get() && tx < 5_000; tx++) {
                    List<Message> batch = new ArrayList<>();
                    for (int i = 0; i < 5; i++) {
                        int n = tx * 5 + i;
                        batch.add(message("key-" + (n % 13), "{\"n\":" + n + "}"));
                    }
                    transaction(batch, tx % 10 != 9).forEach(id -> committed.add(id.value()));
                }
            });
        }

        void stop() throws Exception {
            running.set(false);
            done.get(60, TimeUnit.SECONDS);
        }
    }
}
