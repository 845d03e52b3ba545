package dev.outbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.Backoff;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.LaneBacklog;
import dev.outbox.LaneStatus;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.ParkedMessage;
import dev.outbox.Relay;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.StoreException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.memory.RecordingMonitor;
import dev.outbox.spi.Broker;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.ForwardingMessageStore;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.NewMessage;
import dev.outbox.spi.StoredMessage;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay from end to end, published so that every store and broker adapter runs the same scenarios: messages
 * appended in transactions, moved by real relays through the broker under test, and received by its subscribers.
 * Extend it in an integration test and implement the three abstract methods:
 *
 * <pre>{@code
 * class KafkaRelayContractIT extends RelayContract {
 *     static KafkaBroker broker;   // one per class: JUnit makes a new test instance per test
 *
 *     @BeforeAll static void start() { broker = ...; }
 *     @AfterAll static void stop() { broker.close(); }
 *
 *     @Override protected Broker broker() { return broker; }
 *     @Override protected MessageStore newStore(int lanes) { ... fresh tables, migrated ... }
 *     @Override protected Connection transaction() { return pg.transaction(); }
 * }
 * }</pre>
 *
 * <p>What it checks: committed messages arrive, each key's in id order, with their envelope, and rolled-back ones never
 * (G1, G2, G3); retriable failures hold back the later messages of their key until the failed one goes through (G3), and
 * stop the lane after {@code maxAttempts}; a poison message stops its lane and tells the {@link
 * dev.outbox.spi.PartitionMonitor} while other lanes flow, and a restart resumes at it (G4); skipping parks the head,
 * and a replay publishes it again; {@code drainNow} publishes on the caller's thread; two relays share the lanes, and
 * when one dies the other takes its lanes over, losing nothing and keeping each key's order; a transaction that took a
 * lower id and commits after higher ids of its lane were published is published all the same.
 *
 * <p>Failures are injected between the relay and the broker under test ({@link RecordingBroker#over}): a failing
 * message never reaches the broker. What a broker refuses on its own (too large, unroutable, a broker restart) is for
 * the adapter's own tests. Topics are unique per run ({@code relay.<run>.<n>.…}), and so are subscription names ({@code
 * relay-<run>-<n>-<m>}); the contract closes its relays and subscriptions after each test, then calls {@link #cleanUp}.
 */
public abstract class RelayContract {
    private static final String RUN =
            UUID.randomUUID().toString().replace("-", "").substring(0, 8).toLowerCase(Locale.ROOT);
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static final String SOURCE = "relay-contract";
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final int LANES = 16;
    /** More messages than the PostgreSQL store looks for among the late ones in one fetch (10,000). */
    private static final int LATE_MESSAGES = 12_000;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<SubscriptionSpec> specs = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private String base;
    private MessageStore store;
    private Outbox outbox;
    private RecordingBroker broker;

    // --- what an adapter provides ----------------------------------------------------------------------------------

    /** A store with tables of its own, migrated and empty, with {@code lanes} lanes. Called once per test. */
    protected abstract MessageStore newStore(int lanes);

    /**
     * A new connection to the database of the store {@link #newStore} returned last, with auto-commit off. The contract
     * commits or rolls it back, and closes it.
     */
    protected abstract Connection transaction();

    /**
     * The broker under test, connected to a real server. The same instance for the whole class (keep it in a static
     * field); the contract never closes it.
     */
    protected abstract Broker broker();

    /** How long any one expectation may take. Default 60 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(60);
    }

    /**
     * How many messages are still in {@code store}, published or not. Default: the backlog its {@link
     * MessageStore#status()} reports; a store that can count its rows should, so that a message acknowledged but never
     * deleted is seen.
     */
    protected long stored(MessageStore store) {
        return TestRelays.backlog(store, -1);
    }

    /**
     * Deletes what a test created on the server: its topics (or routing keys) and its subscriptions. Called after each
     * test, once its subscriptions are closed. Default: nothing.
     */
    protected void cleanUp(List<String> topics, List<SubscriptionSpec> subscriptions) {}

    // --- set-up ----------------------------------------------------------------------------------------------------

    @BeforeEach
    final void setUpRelayContract() {
        base = "relay." + RUN + "." + TESTS.incrementAndGet();
        store = newStore(LANES);
        outbox = Outbox.builder().store(store).build();
        broker = RecordingBroker.over(broker());
    }

    @AfterEach
    final void tearDownRelayContract() throws Exception {
        try {
            for (int i = toClose.size() - 1; i >= 0; i--) {
                toClose.get(i).close();
            }
        } finally {
            cleanUp(List.copyOf(topics), List.copyOf(specs));
        }
    }

    // --- the contract ----------------------------------------------------------------------------------------------

    /** G1, G2, G3: what commits arrives once, in key order, with its envelope; what rolls back never leaves. */
    @Test
    public final void committedMessagesArriveInKeyOrderWithTheirEnvelopeAndRolledBackOnesNever() {
        String warehouseTopics = topic("Warehouse.Events") + ".";
        String billingTopic = topic("Billing.Invoice");
        ReceivedMessages warehouse = subscribe(warehouseTopics + "#");
        ReceivedMessages billing = subscribe(billingTopic);
        List<String> topics = List.of(
                topic("Warehouse.Events.ProductAdded"),
                topic("Warehouse.Events.ProductQuantityIncreased"),
                billingTopic);
        Map<Long, Message> committed = new LinkedHashMap<>();
        for (int tx = 0; tx < 60; tx++) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = tx * 5 + i;
                batch.add(message(topics.get(n % 3), "sku-" + (n % 11), "{\"n\":" + n + "}"));
            }
            boolean commit = tx % 4 != 3;
            List<MessageId> ids = append(batch, commit);
            for (int i = 0; i < ids.size(); i++) {
                committed.put(ids.get(i).value(), batch.get(i));
            }
        }
        assertThat(committed).hasSize(45 * 5);
        Relay relay = start(relay(store).batchSize(64));

        Set<Long> toWarehouse = TestRelays.idsOfTopics(committed, t -> t.startsWith(warehouseTopics));
        Set<Long> toBilling = TestRelays.idsOfTopics(committed, t -> t.equals(billingTopic));
        await().atMost(timeout())
                .until(() -> warehouse.ids().containsAll(toWarehouse)
                        && billing.ids().containsAll(toBilling)
                        && stored(store) == 0);

        assertThat(warehouse.ids()).isEqualTo(toWarehouse);
        assertThat(billing.ids()).isEqualTo(toBilling);
        for (ReceivedMessages got : List.of(warehouse, billing)) {
            got.byId().forEach((id, copies) -> {
                IncomingMessage m = copies.get(0);
                Message sent = committed.get(id);
                assertThat(m.envelope().source()).isEqualTo(SOURCE);
                assertThat(m.envelope().topic()).isEqualTo(sent.topic());
                assertThat(m.envelope().key()).isEqualTo(sent.key());
                assertThat(m.envelope().type()).isEqualTo(sent.type());
                assertThat(m.envelope().contentType()).isEqualTo("application/json");
                assertThat(m.envelope().headers()).isEqualTo(sent.headers()).containsEntry("traceparent", TRACEPARENT);
                assertThat(m.payload()).isEqualTo(sent.payload());
            });
            got.assertFirstSeenInKeyOrder();
        }
        // In steady state every message was acknowledged once, each key's in id order.
        assertThat(broker.published()).hasSize(committed.size());
        assertThat(firstAcknowledgedByKey()).isEqualTo(byKey(committed.keySet()));
        assertThat(monitor.stopped()).isEmpty();
        assertThat(relay.ownedLanes()).hasSize(LANES);
    }

    /** G3: a message failing retriably holds back the later ones of its key until it goes through. */
    @Test
    public final void retriedMessagesNeverLetLaterOnesOfTheirKeyOvertakeThem() {
        ReceivedMessages got = subscribe(topic("#"));
        Map<MessageId, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
        List<MessageId> flaky = new ArrayList<>();
        List<Long> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            for (int k = 0; k < 5; k++) {
                MessageId id = appendCommitted("key-" + k, Integer.toString(i));
                all.add(id.value());
                if (i % 7 == 3) {
                    flaky.add(id);
                    failuresLeft.put(id, new AtomicInteger(2));
                }
            }
        }
        broker.failWhen(m -> Optional.ofNullable(failuresLeft.get(m.envelope().messageId()))
                .filter(left -> left.getAndDecrement() > 0)
                .map(left -> new RetriableException("broker busy")));
        start(relay(store).batchSize(50).maxAttempts(5));
        await().atMost(timeout()).until(() -> stored(store) == 0 && got.ids().containsAll(all));

        assertThat(firstAcknowledgedByKey()).isEqualTo(byKey(all));
        got.assertFirstSeenInKeyOrder();
        assertThat(got.ids()).containsExactlyInAnyOrderElementsOf(all);
        assertThat(monitor.stopped()).isEmpty();
        assertThat(broker.attempted().stream()
                        .filter(m -> flaky.contains(m.envelope().messageId())))
                .hasSizeGreaterThanOrEqualTo(flaky.size() * 3);
    }

    /** G4: a poison message stops its lane, and only its lane, until an operator restarts it; then it goes first. */
    @Test
    public final void aPoisonMessageStopsOnlyItsLaneAndTellsTheMonitorAndARestartResumesAtIt() {
        ReceivedMessages got = subscribe(topic("#"));
        MessageId poison = appendCommitted("bad-key", "poison");
        MessageId afterPoison = appendCommitted("bad-key", "after poison");
        int poisonLane = Lanes.laneOf(topic(), "bad-key", LANES);
        List<String> otherKeys = new ArrayList<>();
        for (int k = 0; otherKeys.size() < 5; k++) {
            if (Lanes.laneOf(topic(), "good-" + k, LANES) != poisonLane) {
                otherKeys.add("good-" + k);
            }
        }
        List<Long> flowing = new ArrayList<>();
        otherKeys.forEach(k -> flowing.add(appendCommitted(k, "0").value()));
        broker.failWhen(m -> m.envelope().messageId().equals(poison)
                ? Optional.of(new FatalException("record too large"))
                : Optional.empty());
        Relay relay = start(relay(store));

        await().atMost(timeout())
                .until(() -> monitor.stopped().size() == 1 && got.ids().containsAll(flowing) && stored(store) == 2);
        StoppedLane stop = monitor.stopped().get(0);
        assertThat(stop.lane()).isEqualTo(poisonLane);
        assertThat(stop.messageId()).isEqualTo(poison);
        assertThat(stop.reason()).contains("record too large");
        assertThat(relay.stoppedLanes()).containsExactly(stop);
        assertThat(store.stoppedLanes()).extracting(StoppedLane::lane).containsExactly(poisonLane);
        assertThat(TestRelays.backlog(store, poisonLane)).isEqualTo(2);
        assertThat(firstAcknowledgedByKey().keySet())
                .containsExactlyInAnyOrderElementsOf(
                        otherKeys.stream().map(this::keyOf).toList());
        assertThat(got.ids()).doesNotContain(poison.value(), afterPoison.value());

        // Still stopped later: nothing of the lane is tried again on its own, while other lanes flow.
        long more = appendCommitted(otherKeys.get(0), "1").value();
        await().atMost(timeout()).until(() -> got.ids().contains(more) && stored(store) == 2);
        assertThat(broker.attempted().stream()
                        .filter(m -> m.envelope().messageId().equals(poison))
                        .count())
                .isEqualTo(1);

        broker.succeedAll();
        relay.restart(poisonLane);
        await().atMost(timeout())
                .until(() -> stored(store) == 0 && got.ids().containsAll(List.of(poison.value(), afterPoison.value())));
        assertThat(firstAcknowledgedByKey().get(keyOf("bad-key"))).containsExactly(poison.value(), afterPoison.value());
        assertThat(got.firstSeen(topic(), "bad-key")).containsExactly(poison.value(), afterPoison.value());
        got.assertFirstSeenInKeyOrder();
        assertThat(monitor.restarted()).containsExactly(poisonLane);
        assertThat(relay.stoppedLanes()).isEmpty();
        assertThat(store.stoppedLanes()).isEmpty();
        assertThatThrownBy(() -> relay.restart(poisonLane))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not stopped");
        assertThatThrownBy(() -> relay.restart(LANES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not exist");
    }

    /** G4: retriable failures, {@code maxAttempts} of them, stop the lane too. */
    @Test
    public final void retriableFailuresStopTheLaneAfterMaxAttempts() {
        ReceivedMessages got = subscribe(topic("#"));
        MessageId stuck = appendCommitted("k", "stuck");
        broker.failWhen(m -> Optional.of(new RetriableException("timeout")));
        start(relay(store).maxAttempts(3));
        await().atMost(timeout()).until(() -> monitor.stopped().size() == 1);
        assertThat(monitor.stopped().get(0).messageId()).isEqualTo(stuck);
        assertThat(monitor.stopped().get(0).attempts()).isEqualTo(3);
        assertThat(monitor.stopped().get(0).reason()).contains("failed 3 times").contains("timeout");
        assertThat(broker.attempted()).hasSize(3);
        assertThat(broker.published()).isEmpty();
        assertThat(stored(store)).isEqualTo(1);
        assertThat(got.arrivals()).isEmpty();
    }

    /** An operator skips a stopped lane's head: it is parked, the lane flows, and a replay publishes it again. */
    @Test
    public final void skipParksTheHeadTheLaneFlowsAndReplayRepublishesIt() {
        ReceivedMessages got = subscribe(topic("#"));
        MessageId poison = appendCommitted("k", "poison");
        MessageId next = appendCommitted("k", "next");
        broker.failWhen(m -> m.envelope().messageId().equals(poison)
                ? Optional.of(new FatalException("unroutable"))
                : Optional.empty());
        Relay relay = start(relay(store));
        await().atMost(timeout()).until(() -> monitor.stopped().size() == 1);

        ParkedMessage parked = relay.skip(monitor.stopped().get(0).lane());
        assertThat(parked.messageId()).isEqualTo(poison);
        await().atMost(timeout()).until(() -> stored(store) == 0 && got.ids().contains(next.value()));
        assertThat(firstAcknowledgedByKey().get(keyOf("k"))).containsExactly(next.value());
        assertThat(got.ids()).containsExactly(next.value());
        assertThat(store.parked()).extracting(ParkedMessage::messageId).containsExactly(poison);

        broker.succeedAll();
        assertThat(store.replay(poison)).isTrue();
        await().atMost(timeout())
                .until(() ->
                        broker.published().size() == 2 && got.ids().contains(poison.value()) && stored(store) == 0);
        assertThat(broker.published().get(1).envelope().messageId()).isEqualTo(poison);
    }

    /** {@code drainNow} publishes everything waiting on the caller's thread, without starting the relay. */
    @Test
    public final void drainNowPublishesOnTheCallersThread() {
        ReceivedMessages got = subscribe(topic("#"));
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            ids.add(appendCommitted("k" + (i % 3), Integer.toString(i)).value());
        }
        Relay relay = relay(store).batchSize(10).build();
        toClose.add(relay);
        var result = relay.drainNow();
        assertThat(result.published()).isEqualTo(25);
        assertThat(result.rounds()).isGreaterThanOrEqualTo(3);
        assertThat(result.stopped()).isEmpty();
        assertThat(stored(store)).isZero();
        assertThat(firstAcknowledgedByKey()).isEqualTo(byKey(ids));
        assertThat(relay.drainNow().published()).isZero();
        await().atMost(timeout()).until(() -> got.ids().containsAll(ids));
        got.assertFirstSeenInKeyOrder();
    }

    /**
     * G2, G3 with several relays: two relays share the lanes and never publish one at the same time; when one dies (its
     * database connections gone mid-stream, no goodbye), the other takes its lanes over, losing nothing and keeping
     * each key's order.
     */
    @Test
    public final void twoRelaysShareTheLanesAndTheSurvivorTakesOverFromAKilledOne() throws Exception {
        ReceivedMessages got = subscribe(topic("#"));
        Severable doomedStore = new Severable(store);
        Relay a = start(relay(store).id("relay-a").batchSize(100));
        // What b hands over is recorded on its own too, to tell what it published from what a did.
        RecordingBroker byB = RecordingBroker.over(broker);
        Relay b = start(relay(doomedStore, byB).id("relay-b").batchSize(100).concurrency(2));

        await().atMost(timeout())
                .until(() ->
                        a.ownedLanes().size() == LANES / 2 && b.ownedLanes().size() == LANES / 2);
        assertThat(a.ownedLanes()).doesNotContainAnyElementsOf(b.ownedLanes());

        int keys = 40;
        int perKey = 25;
        Set<Long> committed = ConcurrentHashMap.newKeySet();
        ExecutorService writers = Executors.newFixedThreadPool(4, r -> new Thread(r, "outbox-test-writer"));
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int i = 0; i < perKey; i++) {
                        for (int k = writer; k < keys; k += 4) {
                            committed.add(appendCommitted("key-" + k, Integer.toString(i))
                                    .value());
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(timeout().toSeconds(), TimeUnit.SECONDS);
            }
            await().atMost(timeout())
                    .until(() -> stored(store) == 0 && got.ids().containsAll(committed));
            // In steady state every message went out once: no lane was published by two relays at once.
            assertThat(broker.published()).hasSize(keys * perKey);

            // Relay b dies: its database connections go away mid-stream, and it never says goodbye.
            done.clear();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int i = perKey; i < 2 * perKey; i++) {
                        for (int k = writer; k < keys; k += 4) {
                            committed.add(appendCommitted("key-" + k, Integer.toString(i))
                                    .value());
                        }
                    }
                }));
            }
            await().atMost(timeout()).until(() -> broker.published().size() > keys * perKey + 100);
            doomedStore.sever();
            for (Future<?> f : done) {
                f.get(timeout().toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            writers.shutdownNow();
            assertThat(writers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }

        await().atMost(timeout()).until(() -> a.ownedLanes().size() == LANES);
        await().atMost(timeout()).until(() -> stored(store) == 0 && got.ids().containsAll(committed));
        assertThat(committed).hasSize(2 * keys * perKey);
        assertThat(got.ids()).isEqualTo(committed);
        Map<String, List<Long>> byKey = firstAcknowledgedByKey();
        assertThat(byKey).hasSize(keys).isEqualTo(byKey(committed));
        byKey.values().forEach(ids -> assertThat(ids).hasSize(2 * perKey));
        got.assertFirstSeenInKeyOrder();
        Map<MessageId, Integer> copies = new HashMap<>();
        broker.published().forEach(m -> copies.merge(m.envelope().messageId(), 1, Integer::sum));
        Set<MessageId> duplicated = new HashSet<>();
        copies.forEach((id, n) -> {
            if (n > 1) {
                duplicated.add(id);
            }
        });
        // Only what b had published and not yet deleted when it died goes out twice: at most what it may have in
        // flight, twice a batch per worker (acknowledgements come back as they come, so more than one batch).
        Set<MessageId> publishedByB = new HashSet<>();
        byB.attempted().forEach(m -> publishedByB.add(m.envelope().messageId()));
        assertThat(publishedByB).containsAll(duplicated);
        assertThat(duplicated).hasSizeLessThanOrEqualTo(2 * 100 * 2);
    }

    /**
     * The gap: a transaction takes a lower id and stays open while later messages of its lane are committed and
     * published. Once it commits, its message is published too, and the messages its key gets afterwards follow it.
     */
    @Test
    public final void aTransactionThatCommitsAfterLaterMessagesOfItsLaneWerePublishedIsPublishedInKeyOrder()
            throws SQLException {
        ReceivedMessages got = subscribe(topic("#"));
        int lane = Lanes.laneOf(topic(), "slow", LANES);
        String neighbour = null;
        for (int k = 0; neighbour == null; k++) {
            if (Lanes.laneOf(topic(), "fast-" + k, LANES) == lane) {
                neighbour = "fast-" + k;
            }
        }
        Relay relay = start(relay(store));
        MessageId early;
        List<Long> later = new ArrayList<>();
        try (Connection slow = transaction()) {
            early = outbox.in(slow).append(message(topic(), "slow", "{\"early\":true}"));
            for (int i = 0; i < 3; i++) {
                later.add(appendCommitted(neighbour, Integer.toString(i)).value());
            }
            await().atMost(timeout()).until(() -> got.ids().containsAll(later));
            assertThat(later).allSatisfy(id -> assertThat(id).isGreaterThan(early.value()));
            assertThat(got.ids()).doesNotContain(early.value());
            slow.commit();
        }
        // Written after the slow transaction committed, as code that serialises the writes of a key does.
        MessageId next = appendCommitted("slow", "next");

        await().atMost(timeout())
                .until(() -> got.ids().containsAll(List.of(early.value(), next.value())) && stored(store) == 0);
        assertThat(got.firstSeen(topic(), "slow")).containsExactly(early.value(), next.value());
        assertThat(got.firstSeen(topic(), neighbour)).containsExactlyElementsOf(later);
        got.assertFirstSeenInKeyOrder();
        assertThat(firstAcknowledgedByKey().get(keyOf("slow"))).containsExactly(early.value(), next.value());
        assertThat(monitor.stopped()).isEmpty();
        assertThat(relay.stoppedLanes()).isEmpty();
    }

    /**
     * The gap at scale: a transaction that commits late with more messages than a fetch looks for among the late ones
     * (12,000, where the PostgreSQL store looks at 10,000). A store that cannot return them all says so, and the relay
     * reads its lanes again from their start: every message is published, each key's in order, and none is left
     * behind.
     */
    @Test
    public final void aLateTransactionWithMoreMessagesThanAFetchLooksForIsPublishedWholeAndInKeyOrder()
            throws SQLException {
        ReceivedMessages got = subscribe(topic("#"));
        start(relay(store).batchSize(100));
        List<Long> late = new ArrayList<>();
        try (Connection slow = transaction()) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < LATE_MESSAGES; i++) {
                batch.add(message(topic(), "late-" + (i % 40), "{\"late\":" + i + "}"));
            }
            outbox.in(slow).appendAll(batch).forEach(id -> late.add(id.value()));
            // Read after the slow transaction took its ids: every lane's position passes them.
            MessageId meanwhile = appendCommitted("meanwhile", "0");
            await().atMost(timeout()).until(() -> got.ids().contains(meanwhile.value()));
            assertThat(got.ids()).doesNotContainAnyElementsOf(late);
            slow.commit();
        }
        MessageId next = appendCommitted("late-0", "next");

        await().atMost(timeout().multipliedBy(2))
                .until(() -> got.ids().containsAll(late) && got.ids().contains(next.value()) && stored(store) == 0);
        List<Long> key0 = new ArrayList<>();
        for (int i = 0; i < late.size(); i += 40) {
            key0.add(late.get(i));
        }
        key0.add(next.value());
        assertThat(got.firstSeen(topic(), "late-0")).containsExactlyElementsOf(key0);
        got.assertFirstSeenInKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private String topic(String name) {
        String t = base + "." + name;
        if (!name.contains("#")) {
            topics.add(t);
        }
        return t;
    }

    /** The topic of the scenarios that need only one. */
    private String topic() {
        return base + ".Events.Test";
    }

    private Relay.Builder relay(MessageStore relayStore) {
        return relay(relayStore, broker);
    }

    private Relay.Builder relay(MessageStore relayStore, Broker relayBroker) {
        return TestRelays.quick(relayStore, relayBroker, SOURCE)
                .monitor(monitor)
                .backoff(Backoff.fixed(Duration.ofMillis(20)))
                .lease(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(200));
    }

    private Relay start(Relay.Builder builder) {
        Relay relay = builder.build();
        toClose.add(relay);
        relay.start();
        return relay;
    }

    private ReceivedMessages subscribe(String pattern) {
        ReceivedMessages received = new ReceivedMessages();
        SubscriptionSpec spec = SubscriptionSpec.builder(
                        "relay-" + RUN + "-" + base.substring(base.lastIndexOf('.') + 1) + "-" + specs.size())
                .patterns(pattern)
                .concurrency(4)
                .build();
        specs.add(spec);
        Subscription subscription = broker().subscribe(spec, received);
        toClose.add(subscription);
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

    private MessageId appendCommitted(String key, String n) {
        return append(List.of(message(topic(), key, "{\"n\":" + n + "}")), true).get(0);
    }

    /** Appends {@code messages} in one transaction, then commits it and returns their ids, or rolls it back. */
    private List<MessageId> append(List<Message> messages, boolean commit) {
        try (Connection c = transaction()) {
            List<MessageId> ids = outbox.in(c).appendAll(messages);
            if (commit) {
                c.commit();
                return ids;
            }
            c.rollback();
            return List.of();
        } catch (SQLException e) {
            throw new IllegalStateException("could not append in a transaction of the test", e);
        }
    }

    /**
     * Per topic and key ({@code topic/key}), the ids in the order the broker first acknowledged them: what a
     * deduplicating consumer applies.
     */
    private Map<String, List<Long>> firstAcknowledgedByKey() {
        Map<String, List<Long>> byKey = new LinkedHashMap<>();
        Set<Long> seen = new HashSet<>();
        for (OutgoingMessage m : broker.published()) {
            if (seen.add(m.envelope().messageId().value())) {
                byKey.computeIfAbsent(keyOf(m), k -> new ArrayList<>())
                        .add(m.envelope().messageId().value());
            }
        }
        return byKey;
    }

    private static String keyOf(OutgoingMessage m) {
        return m.envelope().topic() + "/" + m.envelope().key();
    }

    /** The {@code topic/key} of {@code key} in the scenarios' one topic. */
    private String keyOf(String key) {
        return topic() + "/" + key;
    }

    /**
     * Per topic and key, the given ids of that key as acknowledged, in id order: what {@link #firstAcknowledgedByKey}
     * must be.
     */
    private Map<String, List<Long>> byKey(Collection<Long> ids) {
        Map<Long, String> keys = new HashMap<>();
        broker.published().forEach(m -> keys.put(m.envelope().messageId().value(), keyOf(m)));
        Map<String, List<Long>> byKey = new HashMap<>();
        ids.stream().sorted().forEach(id -> byKey.computeIfAbsent(
                        Optional.ofNullable(keys.get(id)).orElse("never acknowledged"), k -> new ArrayList<>())
                .add(id));
        return byKey;
    }

    /** A store whose connections can be cut: from then on every call fails, as on a database that went away. */
    private static final class Severable extends ForwardingMessageStore {
        private volatile boolean severed;

        Severable(MessageStore delegate) {
            super(delegate);
        }

        void sever() {
            severed = true;
        }

        private void check() {
            if (severed) {
                throw new StoreException("connection to the database lost", null);
            }
        }

        @Override
        public List<MessageId> append(Connection transaction, List<NewMessage> messages) {
            check();
            return super.append(transaction, messages);
        }

        @Override
        public List<StoredMessage> peek(Connection transaction, int limit) {
            check();
            return super.peek(transaction, limit);
        }

        @Override
        public LaneAssignment heartbeat(String relayId, Duration lease) {
            check();
            return super.heartbeat(relayId, lease);
        }

        @Override
        public void release(String relayId, Collection<Integer> lanes) {
            check();
            super.release(relayId, lanes);
        }

        @Override
        public void leave(String relayId) {
            check();
            super.leave(relayId);
        }

        @Override
        public Fetched fetch(FetchRequest request) {
            check();
            return super.fetch(request);
        }

        @Override
        public int acknowledge(String relayId, Collection<LaneClaim> claims, Collection<MessageId> ids) {
            check();
            return super.acknowledge(relayId, claims, ids);
        }

        @Override
        public void recordFailure(String relayId, LaneClaim claim, MessageId id, String error) {
            check();
            super.recordFailure(relayId, claim, id, error);
        }

        @Override
        public Optional<StoppedLane> stop(String relayId, LaneClaim claim, StoredMessage head, String reason) {
            check();
            return super.stop(relayId, claim, head, reason);
        }

        @Override
        public List<StoppedLane> stoppedLanes() {
            check();
            return super.stoppedLanes();
        }

        @Override
        public Optional<StoppedLane> restart(int lane) {
            check();
            return super.restart(lane);
        }

        @Override
        public Optional<ParkedMessage> skip(int lane) {
            check();
            return super.skip(lane);
        }

        @Override
        public List<ParkedMessage> parked() {
            check();
            return super.parked();
        }

        @Override
        public boolean replay(MessageId id) {
            check();
            return super.replay(id);
        }

        @Override
        public List<LaneStatus> status() {
            check();
            return super.status();
        }

        @Override
        public List<LaneBacklog> backlog(List<LaneCursor> lanes) {
            check();
            return super.backlog(lanes);
        }

        @Override
        public AutoCloseable onAppend(Runnable listener) {
            check();
            return super.onAppend(listener);
        }

        @Override
        public int purgeSent(int limit) {
            check();
            return super.purgeSent(limit);
        }
    }
}
