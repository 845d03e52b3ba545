package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.Backoff;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.RetriableException;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.PartitionMonitor;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The metrics after real relay runs: PostgreSQL store, real relay, recording broker, a SimpleMeterRegistry. */
class MicrometerMetricsIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 8;
    private static final String TOPIC = "Warehouse.Events.Metrics";
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final RecordingBroker broker = new RecordingBroker();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private JdbiMessageStore store;
    private JdbiOutbox outbox;

    @BeforeEach
    void createTables() {
        store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("metrics" + tables.incrementAndGet())
                        .lanes(LANES)
                        .build());
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        registry.close();
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    private Relay relay() {
        return closing(Relay.builder()
                .store(store)
                .broker(broker)
                .source("metrics-it")
                .listener(MicrometerRelayMetrics.create(registry))
                .monitor(PartitionMonitor.all(
                        List.of(MicrometerPartitionMonitor.create(registry), LoggingPartitionMonitor.create())))
                .frequency(Duration.ofMillis(20))
                .backoff(Backoff.fixed(Duration.ofMillis(20)))
                .lease(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(200))
                .build());
    }

    private MessageId append(String key, String payload) {
        return pg.jdbi().inTransaction(h -> outbox.in(h)
                .append(Message.builder(TOPIC)
                        .key(key)
                        .type("Test")
                        .payload(payload, "text/plain")
                        .build()));
    }

    private static String payload(OutgoingMessage m) {
        return new String(m.payload(), StandardCharsets.UTF_8);
    }

    private double gauge(String name, String... tags) {
        Gauge g = registry.find(name).tags(tags).gauge();
        assertThat(g).as("gauge %s %s", name, List.of(tags)).isNotNull();
        return g.value();
    }

    private double timeGaugeSeconds(String name, String... tags) {
        var g = registry.find(name).tags(tags).timeGauge();
        assertThat(g).as("time gauge %s", name).isNotNull();
        return g.value(TimeUnit.SECONDS);
    }

    private double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private double sum(Search search) {
        return search.counters().stream().mapToDouble(Counter::count).sum();
    }

    /** Keys that fall into distinct lanes. */
    private static List<String> keysInDistinctLanes(int n) {
        List<String> keys = new ArrayList<>();
        List<Integer> lanes = new ArrayList<>();
        for (int i = 0; keys.size() < n; i++) {
            int lane = Lanes.laneOf(TOPIC, "k" + i, LANES);
            if (!lanes.contains(lane)) {
                lanes.add(lane);
                keys.add("k" + i);
            }
        }
        return keys;
    }

    @Test
    void backlogRisesWhileTheRelayIsStoppedAndFallsAfterDraining() {
        BacklogMetrics backlog = closing(BacklogMetrics.builder(store, registry)
                .interval(Duration.ofMillis(100))
                .build());
        assertThat(gauge("outbox.backlog")).as("no reading yet").isNaN();
        backlog.start();
        await().atMost(WAIT).until(() -> gauge("outbox.backlog") == 0);

        Map<Integer, Integer> perLane = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            String key = "key-" + i;
            append(key, "m" + i);
            perLane.merge(Lanes.laneOf(TOPIC, key, LANES), 1, Integer::sum);
        }
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("outbox.backlog")).isEqualTo(30);
            assertThat(timeGaugeSeconds("outbox.backlog.oldest.age")).isPositive();
        });
        for (int lane = 0; lane < LANES; lane++) {
            assertThat(gauge("outbox.lane.backlog", "lane", Integer.toString(lane)))
                    .as("backlog of lane %d", lane)
                    .isEqualTo(perLane.getOrDefault(lane, 0).doubleValue());
        }

        Relay relay = relay();
        relay.start();
        await().atMost(WAIT).until(() -> broker.published().size() == 30);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("outbox.backlog")).isZero();
            assertThat(timeGaugeSeconds("outbox.backlog.oldest.age")).isZero();
        });

        assertThat(count("outbox.relay.published", "topic", TOPIC)).isEqualTo(30);
        assertThat(registry.find("outbox.relay.publish.latency").timer().count())
                .isEqualTo(30);
        assertThat(registry.find("outbox.relay.publish.latency").timer().max(TimeUnit.SECONDS))
                .isLessThan(WAIT.toSeconds());
        assertThat(registry.find("outbox.relay.batch.size").summary().totalAmount())
                .isEqualTo(30);
        assertThat(registry.find("outbox.relay.round.duration").timer().count()).isPositive();
        assertThat(gauge("outbox.relay.lanes.owned")).isEqualTo(LANES);
        assertThat(timeGaugeSeconds("outbox.relay.last.round.age")).isLessThan(5);
        assertThat(sum(registry.find("outbox.relay.failures"))).isZero();
        assertThat(gauge("outbox.store.lanes.stopped")).isZero();

        backlog.close();
        assertThat(registry.find("outbox.backlog").gauge())
                .as("meters removed on close")
                .isNull();
    }

    @Test
    void aPoisonMessageMovesTheFailureAndStoppedLaneFigures() {
        List<String> keys = keysInDistinctLanes(2);
        String bad = keys.get(0);
        int badLane = Lanes.laneOf(TOPIC, bad, LANES);
        broker.failWhen(m ->
                payload(m).equals("poison") ? Optional.of(new FatalException("record too large")) : Optional.empty());
        append(bad, "poison");
        append(bad, "after poison");
        append(keys.get(1), "fine");
        BacklogMetrics backlog = closing(BacklogMetrics.builder(store, registry).build());

        Relay relay = relay();
        relay.start();
        await().atMost(WAIT).until(() -> gauge("outbox.relay.lanes.stopped") == 1);
        await().atMost(WAIT).until(() -> count("outbox.relay.published", "topic", TOPIC) == 1);
        assertThat(broker.published()).hasSize(1);

        assertThat(count("outbox.relay.failures", "topic", TOPIC, "kind", "fatal"))
                .isEqualTo(1);
        assertThat(count("outbox.relay.failures", "topic", TOPIC, "kind", "retriable"))
                .isZero();
        assertThat(count("outbox.relay.lane.stops")).isEqualTo(1);
        assertThat(count("outbox.relay.published", "topic", TOPIC)).isEqualTo(1);
        assertThat(registry.find("outbox.relay.publish.latency").timer().count())
                .isEqualTo(1);
        backlog.refresh();
        assertThat(gauge("outbox.store.lanes.stopped")).isEqualTo(1);
        assertThat(gauge("outbox.lane.stopped", "lane", Integer.toString(badLane)))
                .isEqualTo(1);
        assertThat(gauge("outbox.backlog")).isEqualTo(2);
        assertThat(gauge("outbox.lane.backlog", "lane", Integer.toString(badLane)))
                .isEqualTo(2);

        broker.succeedAll();
        relay.restart(badLane);
        await().atMost(WAIT).until(() -> count("outbox.relay.published", "topic", TOPIC) == 3);
        assertThat(broker.published()).hasSize(3);
        assertThat(gauge("outbox.relay.lanes.stopped")).isZero();
        assertThat(count("outbox.relay.lane.restarts")).isEqualTo(1);
        assertThat(count("outbox.relay.published", "topic", TOPIC)).isEqualTo(3);
        await().atMost(WAIT).untilAsserted(() -> {
            backlog.refresh();
            assertThat(gauge("outbox.store.lanes.stopped")).isZero();
            assertThat(gauge("outbox.backlog")).isZero();
        });
    }

    @Test
    void retriedFailuresAreCountedAsRetriable() {
        AtomicInteger failuresLeft = new AtomicInteger(2);
        broker.failWhen(m -> failuresLeft.getAndDecrement() > 0
                ? Optional.of(new RetriableException("broker busy"))
                : Optional.empty());
        append("k", "flaky");
        Relay relay = relay();
        relay.start();
        // The relay records an acknowledgement when it settles it, a moment after the broker gave it.
        await().atMost(WAIT).until(() -> count("outbox.relay.published", "topic", TOPIC) == 1);
        assertThat(broker.published()).hasSize(1);
        assertThat(count("outbox.relay.failures", "topic", TOPIC, "kind", "retriable"))
                .isEqualTo(2);
        assertThat(count("outbox.relay.failures", "topic", TOPIC, "kind", "fatal"))
                .isZero();
        assertThat(count("outbox.relay.published", "topic", TOPIC)).isEqualTo(1);
        assertThat(count("outbox.relay.lane.stops")).isZero();
    }

    @Test
    void consumerMetricsCountWhatTheHandlerDidWithMessagesFromARealRelay() {
        SubscriptionSpec spec = SubscriptionSpec.builder("metrics-consumer")
                .patterns("Warehouse.Events.#")
                .maxAttempts(1)
                .build();
        List<IncomingMessage> handled = new ArrayList<>();
        broker.subscribe(
                spec,
                ConsumerMetrics.wrap(
                        spec,
                        m -> {
                            if (new String(m.payload(), StandardCharsets.UTF_8).equals("bad")) {
                                throw new IllegalStateException("cannot handle");
                            }
                            handled.add(m);
                        },
                        registry));
        append("a", "good 1");
        append("b", "bad");
        append("c", "good 2");
        relay().drainNow();

        assertThat(handled).hasSize(2);
        assertThat(count("outbox.consumer.handled", "subscription", "metrics-consumer"))
                .isEqualTo(2);
        assertThat(count("outbox.consumer.failed", "subscription", "metrics-consumer"))
                .isEqualTo(1);
        assertThat(count("outbox.consumer.dead.lettered", "subscription", "metrics-consumer"))
                .as("maxAttempts 1: the first failure is the last")
                .isEqualTo(1);
        assertThat(registry.find("outbox.consumer.handle.duration").timer().count())
                .isEqualTo(3);
        assertThat(broker.handlerFailures()).singleElement().isInstanceOf(IllegalStateException.class);
    }

    /**
     * One reading, the relay's own every maintenance interval, feeds both the lag check (the monitor hears laneBehind)
     * and the backlog gauges: no poller reads the store.
     */
    @Test
    void theRelaysOwnBacklogReadingFeedsTheGaugesAndTheLagCheck() {
        List<String> keys = keysInDistinctLanes(2);
        String stuck = keys.get(0);
        int stuckLane = Lanes.laneOf(TOPIC, stuck, LANES);
        broker.failWhen(m -> Lanes.laneOf(TOPIC, m.envelope().key(), LANES) == stuckLane
                ? Optional.of(new dev.outbox.RetriableException("broker down for this lane", null))
                : Optional.empty());
        append(stuck, "held back 1");
        append(stuck, "held back 2");
        append(keys.get(1), "goes through");
        BacklogMetrics backlog = closing(BacklogMetrics.builder(store, registry).build());
        List<Integer> behind = new java.util.concurrent.CopyOnWriteArrayList<>();
        Relay relay = closing(Relay.builder()
                .store(store)
                .broker(broker)
                .source("metrics-it")
                .listener(RelayListener.all(List.of(MicrometerRelayMetrics.create(registry), backlog)))
                .monitor(new PartitionMonitor() {
                    @Override
                    public void laneBehind(int lane, Duration oldestAge) {
                        behind.add(lane);
                    }
                })
                .frequency(Duration.ofMillis(20))
                .backoff(Backoff.fixed(Duration.ofSeconds(30)))
                .lagThreshold(Duration.ofMillis(1))
                .maintenanceInterval(Duration.ofMillis(100))
                .lease(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(200))
                .build());
        relay.start();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("outbox.backlog")).isEqualTo(2);
            assertThat(gauge("outbox.lane.backlog", "lane", Integer.toString(stuckLane)))
                    .isEqualTo(2);
            assertThat(timeGaugeSeconds("outbox.lane.oldest.age", "lane", Integer.toString(stuckLane)))
                    .isPositive();
            assertThat(behind).contains(stuckLane);
        });
        assertThat(behind)
                .as("lanes with nothing waiting are never behind")
                .isSubsetOf(stuckLane, Lanes.laneOf(TOPIC, keys.get(1), LANES));
        assertThat(Thread.getAllStackTraces().keySet())
                .as("no poller of its own")
                .noneMatch(t -> t.getName().equals("outbox-metrics-backlog"));
    }

    @Test
    void theBackgroundPollerFailsSoftlyAndCountsFailures() {
        JdbiMessageStore missing = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("never_created")
                        .lanes(LANES)
                        .build());
        BacklogMetrics backlog = closing(BacklogMetrics.builder(missing, registry)
                .interval(Duration.ofMillis(50))
                .build());
        backlog.start();
        await().atMost(WAIT).until(() -> count("outbox.backlog.poll.failures") >= 2);
        assertThat(gauge("outbox.backlog")).isNaN();
        assertThat(Thread.getAllStackTraces().keySet())
                .anyMatch(t -> t.getName().equals("outbox-metrics-backlog"));
        backlog.close();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("outbox-metrics-backlog") && t.isAlive());
    }
}
