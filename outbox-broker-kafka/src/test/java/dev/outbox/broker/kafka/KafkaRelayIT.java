package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.Backoff;
import dev.outbox.IncomingMessage;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.StoppedLane;
import dev.outbox.SubscriptionSpec;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.memory.RecordingMonitor;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.ReceivedMessages;
import dev.outbox.testkit.TestRelays;
import dev.outbox.testkit.TestTransactions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End to end, what only Kafka does: a broker killed with SIGKILL mid-stream and started again, and a message over a
 * topic's own size limit. The scenarios every broker shares are {@link KafkaRelayContractIT}.
 */
class KafkaRelayIT {
    private static final Logger log = LoggerFactory.getLogger(KafkaRelayIT.class);

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String RUN = "e2e" + UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 16;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String SOURCE = "warehouse";
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private JdbiMessageStore store;
    private JdbiOutbox outbox;
    private KafkaBroker broker;

    private void setUp(EmbeddedKafka kafka, KafkaBrokerSettings.Builder settings) {
        JdbiStoreConfig config = JdbiStoreConfig.builder()
                .tablePrefix("kafka" + tables.incrementAndGet())
                .lanes(LANES)
                .build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        // Pattern subscriptions find the topics the relay creates on the consumer's next metadata refresh.
        broker = KafkaBroker.create(
                settings.consumerProperty("metadata.max.age.ms", "1000").build());
        toClose.add(broker);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Relay startRelay() {
        Relay relay = TestRelays.quick(store, broker, SOURCE)
                .monitor(monitor)
                .backoff(Backoff.fixed(Duration.ofMillis(200)))
                .build();
        toClose.add(relay);
        relay.start();
        return relay;
    }

    @Test
    void kafkaSigkilledMidStreamAndRestartedLosesNothingAndKeepsKeyOrder() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.builder().build();
        toClose.add(kafka);
        kafka.start();
        setUp(
                kafka,
                TestKafka.settings(kafka, 4)
                        .producerProperty("request.timeout.ms", "3000")
                        .producerProperty("delivery.timeout.ms", "10000")
                        .producerProperty("max.block.ms", "3000"));
        ReceivedMessages got = subscribe(RUN + ".Stream.#");
        startRelay();
        Set<Long> committed = ConcurrentHashMap.newKeySet();
        AtomicBoolean appending = new AtomicBoolean(true);
        // Off while Kafka is down: however far behind the subscriber was at the kill, the writer goes on committing.
        AtomicBoolean bounded = new AtomicBoolean(true);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            for (int tx = 0; appending.get() && tx < 5_000; tx++) {
                // Keep the stream going for the whole test, at most a few thousand messages ahead of the subscriber.
                if (bounded.get() && committed.size() - got.ids().size() >= 2_000) {
                    await().atMost(WAIT)
                            .pollInterval(Duration.ofMillis(10))
                            .until(() -> !appending.get()
                                    || !bounded.get()
                                    || committed.size() - got.ids().size() < 2_000);
                }
                List<Message> batch = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    int n = tx * 5 + i;
                    batch.add(message(RUN + ".Stream.Events.Tick", "key-" + (n % 13), "{\"n\":" + n + "}"));
                }
                transaction(batch, true).forEach(id -> committed.add(id.value()));
            }
        });
        try {
            await().atMost(WAIT).until(() -> got.ids().size() >= 1_000);
            bounded.set(false);
            kafka.kill();
            int atKill = committed.size();
            // The application keeps committing while Kafka is down; the relay keeps failing and retrying.
            await().atMost(WAIT).until(() -> committed.size() >= atKill + 1_000);
            kafka.start();
            bounded.set(true);
            int afterRestart = got.ids().size();
            await().atMost(WAIT).until(() -> got.ids().size() >= afterRestart + 1_000);
        } finally {
            appending.set(false);
            writer.get(60, TimeUnit.SECONDS);
        }

        await().atMost(WAIT).until(() -> got.ids().containsAll(committed));
        assertThat(got.ids()).isEqualTo(committed);
        assertThat(committed.size()).isGreaterThanOrEqualTo(2_000);
        for (List<IncomingMessage> copies : got.byId().values()) {
            // A duplicate is the same message again: same id, same payload.
            assertThat(copies)
                    .extracting(m -> new String(m.payload(), StandardCharsets.UTF_8))
                    .containsOnly(new String(copies.get(0).payload(), StandardCharsets.UTF_8));
        }
        got.assertFirstSeenInKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
        log.info(
                "Kafka killed mid-stream: {} committed, {} received, {} more than once",
                committed.size(),
                got.arrivals().size(),
                got.byId().values().stream().filter(c -> c.size() > 1).count());
    }

    @Test
    void aMessageOverTheTopicsLimitStopsItsLaneWhileOthersFlowAndResumesInOrderOnceTheLimitIsRaised() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.shared();
        setUp(kafka, TestKafka.settings(kafka, 4));
        String topic = RUN + ".Limited.Events.ProductAdded";
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1).configs(Map.of("max.message.bytes", "10000"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        ReceivedMessages got = subscribe(topic);
        String stuckKey = "sku-stuck";
        int stuckLane = Lanes.laneOf(topic, stuckKey, LANES);
        MessageId poison = transaction(
                        List.of(message(topic, stuckKey, "{\"big\":\"" + "x".repeat(20_000) + "\"}")), true)
                .get(0);
        Map<Long, String> later = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            String key = i % 4 == 0 ? stuckKey : "sku-" + i;
            MessageId id = transaction(List.of(message(topic, key, "{\"i\":" + i + "}")), true)
                    .get(0);
            later.put(id.value(), key);
        }
        Set<Long> sameKey = idsOfKeys(later, k -> k.equals(stuckKey));
        Set<Long> sameLane = idsOfKeys(later, k -> Lanes.laneOf(topic, k, LANES) == stuckLane);
        Set<Long> flowing = new HashSet<>(later.keySet());
        flowing.removeAll(sameLane);
        assertThat(flowing).isNotEmpty();
        Relay relay = startRelay();

        await().atMost(WAIT)
                .until(() -> monitor.stopped().size() == 1 && got.ids().containsAll(flowing));

        StoppedLane lane = monitor.stopped().get(0);
        assertThat(lane.lane()).isEqualTo(stuckLane);
        assertThat(lane.messageId()).isEqualTo(poison);
        assertThat(lane.reason()).contains("RecordTooLarge", "max.message.bytes");
        assertThat(store.stoppedLanes()).extracting(StoppedLane::lane).containsExactly(stuckLane);
        // Nothing of the poison's key overtook it; messages of other keys in its lane may have gone out with it, and
        // the lane keeps them all until it is restarted.
        assertThat(got.ids()).doesNotContain(poison.value()).doesNotContainAnyElementsOf(sameKey);
        assertThat(TestRelays.backlog(store, stuckLane)).isEqualTo(1L + sameLane.size());

        try (Admin admin = TestKafka.admin(kafka)) {
            admin.incrementalAlterConfigs(Map.of(
                            new ConfigResource(ConfigResource.Type.TOPIC, topic),
                            List.of(new AlterConfigOp(
                                    new ConfigEntry("max.message.bytes", "100000"), AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        relay.restart(stuckLane);

        Set<Long> all = new HashSet<>(later.keySet());
        all.add(poison.value());
        await().atMost(WAIT).until(() -> got.ids().containsAll(all) && TestRelays.backlog(store, -1) == 0);
        assertThat(got.ids()).isEqualTo(all);
        assertThat(monitor.restarted()).contains(stuckLane);
        assertThat(store.stoppedLanes()).isEmpty();
        got.assertFirstSeenInKeyOrder();
        assertThat(got.firstSeen(topic, stuckKey)).first().isEqualTo(poison.value());
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private ReceivedMessages subscribe(String pattern) {
        ReceivedMessages received = new ReceivedMessages();
        toClose.add(broker.subscribe(
                SubscriptionSpec.builder(RUN + "-e2e-" + tables.get() + "-"
                                + UUID.randomUUID().toString().substring(0, 6))
                        .patterns(pattern)
                        .concurrency(4)
                        .build(),
                received));
        return received;
    }

    private static Message message(String topic, String key, String payload) {
        return Message.builder(topic)
                .key(key)
                .type(topic.substring(topic.lastIndexOf('.') + 1))
                .payload(payload, "application/json")
                .header("traceparent", TRACEPARENT)
                .build();
    }

    /** Appends {@code messages} in one transaction; returns their ids, or rolls back and returns none. */
    private List<MessageId> transaction(List<Message> messages, boolean commit) {
        return TestTransactions.append(pg.jdbi(), outbox.outbox(), messages, commit);
    }

    private static Set<Long> idsOfKeys(Map<Long, String> later, Predicate<String> key) {
        return later.entrySet().stream()
                .filter(e -> key.test(e.getValue()))
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }
}
