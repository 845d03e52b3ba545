package dev.outbox.broker.rabbit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.IncomingMessage;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.StoppedLane;
import dev.outbox.SubscriptionSpec;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end, what only RabbitMQ does: connections dropped and the broker restarted mid-stream, and a message no queue
 * is bound for. The scenarios every broker shares are {@link RabbitRelayContractIT}.
 */
class RabbitRelayIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 16;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SOURCE = "warehouse";

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private JdbiMessageStore store;
    private JdbiOutbox outbox;
    private RabbitBroker broker;

    @BeforeEach
    void setUp() {
        JdbiStoreConfig config = JdbiStoreConfig.builder()
                .tablePrefix("rabbit" + tables.incrementAndGet())
                .lanes(LANES)
                .build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        broker = RabbitBroker.create(rabbit.settings().build());
        toClose.add(broker);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Relay startRelay() {
        Relay relay = TestRelays.quick(store, broker, SOURCE).monitor(monitor).build();
        toClose.add(relay);
        relay.start();
        return relay;
    }

    private ReceivedMessages subscribe(String pattern) {
        ReceivedMessages received = new ReceivedMessages();
        broker.subscribe(
                SubscriptionSpec.builder(rabbit.unique("e2e"))
                        .patterns(pattern)
                        .concurrency(4)
                        .build(),
                received);
        return received;
    }

    private static Message message(String topic, String key, String payload) {
        return Message.builder(topic)
                .key(key)
                .type(topic.substring(topic.lastIndexOf('.') + 1))
                .payload(payload, "application/json")
                .header("traceparent", TestMessages.TRACEPARENT)
                .build();
    }

    /** Appends {@code messages} in one transaction; returns their ids, or rolls back and returns none. */
    private List<MessageId> transaction(List<Message> messages, boolean commit) {
        return TestTransactions.append(pg.jdbi(), outbox.outbox(), messages, commit);
    }

    @Test
    void droppedConnectionsAndABrokerRestartMidStreamLoseNothing() throws Exception {
        ReceivedMessages got = subscribe("Stream.#");
        startRelay();
        Set<Long> committed = ConcurrentHashMap.newKeySet();
        AtomicBoolean appending = new AtomicBoolean(true);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            // No count of its own: it writes until the test has seen what it waits for, so the stream never runs dry
            // before a step (a restart under load can take longer than any fixed number of transactions).
            for (int tx = 0; appending.get(); tx++) {
                List<Message> batch = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    batch.add(message("Stream.Events.Tick", "key-" + ((tx * 5 + i) % 13), "{\"tx\":" + tx + "}"));
                }
                transaction(batch, true).forEach(id -> committed.add(id.value()));
            }
        });
        try {
            awaitMore(got, 300, committed, writer, "the start");
            Rabbitmqctl.closeAllConnections(rabbit.name());
            awaitMore(got, 300, committed, writer, "the connections were closed");
            try {
                Rabbitmqctl.stopApp();
            } finally {
                Rabbitmqctl.startApp();
            }
            awaitMore(got, 300, committed, writer, "the broker restarted");
        } finally {
            appending.set(false);
            writer.get(60, TimeUnit.SECONDS);
        }

        await().atMost(WAIT).until(() -> got.ids().containsAll(committed));
        assertThat(got.ids()).isEqualTo(committed);
        for (List<IncomingMessage> copies : got.byId().values()) {
            // A duplicate is the same message again: same id, same payload.
            assertThat(copies)
                    .extracting(m -> new String(m.payload(), StandardCharsets.UTF_8))
                    .containsOnly(new String(copies.get(0).payload(), StandardCharsets.UTF_8));
        }
        got.assertFirstSeenInKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
        System.out.printf(
                "e2e stream: %d committed, %d received more than once%n",
                committed.size(),
                got.byId().values().stream().filter(c -> c.size() > 1).count());
    }

    /**
     * Waits until {@code more} further messages have arrived; if they do not, fails with what the relay and the writer
     * were doing, so that a stall can be told from a stream that ran dry.
     */
    private void awaitMore(
            ReceivedMessages got, int more, Set<Long> committed, CompletableFuture<Void> writer, String after) {
        int before = got.ids().size();
        try {
            await().atMost(WAIT).until(() -> got.ids().size() >= before + more);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    String.format(
                            "fewer than %d messages arrived within %s after %s: %d received before, %d now;"
                                    + " %d committed, backlog %d, writer %s, stopped lanes %s",
                            more,
                            WAIT,
                            after,
                            before,
                            got.ids().size(),
                            committed.size(),
                            TestRelays.backlog(store, -1),
                            writer.isDone() ? "done" : "writing",
                            monitor.stopped()),
                    e);
        }
    }

    @Test
    void anUnroutableMessageStopsItsLaneAndTellsTheMonitorWhileOtherLanesFlow() {
        ReceivedMessages got = subscribe("Warehouse.#");
        String stuckKey = "sku-stuck";
        int stuckLane = Lanes.laneOf("Warehouse.Events.ProductAdded", stuckKey, LANES);
        MessageId poison = transaction(List.of(message("Nowhere.Events.Lost", stuckKey, "{}")), true)
                .get(0);
        Map<Long, String> later = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            String key = i % 4 == 0 ? stuckKey : "sku-" + i;
            MessageId id = transaction(List.of(message("Warehouse.Events.ProductAdded", key, "{}")), true)
                    .get(0);
            later.put(id.value(), key);
        }
        Set<Long> held = later.entrySet().stream()
                .filter(e -> Lanes.laneOf("Warehouse.Events.ProductAdded", e.getValue(), LANES) == stuckLane)
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        Set<Long> flowing = new java.util.HashSet<>(later.keySet());
        flowing.removeAll(held);
        assertThat(held).isNotEmpty();
        assertThat(flowing).isNotEmpty();
        startRelay();

        await().atMost(WAIT)
                .until(() -> monitor.stopped().size() == 1 && got.ids().containsAll(flowing));

        StoppedLane lane = monitor.stopped().get(0);
        assertThat(lane.lane()).isEqualTo(stuckLane);
        assertThat(lane.messageId()).isEqualTo(poison);
        assertThat(lane.reason()).contains("unroutable");
        assertThat(store.stoppedLanes()).extracting(StoppedLane::lane).containsExactly(stuckLane);
        assertThat(got.ids()).doesNotContain(poison.value());
        // Later messages of the lane published with the poison, before its return came back, may have arrived; the
        // lane keeps them all (they are published again, same ids, when it is restarted).
        assertThat(TestRelays.backlog(store, stuckLane)).isEqualTo(1L + held.size());
        await().atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 1L + held.size());
    }
}
