package dev.outbox.internal;

import static dev.outbox.fake.FakeBroker.Outcome.failWith;
import static dev.outbox.fake.FakeBroker.Outcome.fatal;
import static dev.outbox.fake.FakeBroker.Outcome.held;
import static dev.outbox.fake.FakeBroker.Outcome.never;
import static dev.outbox.fake.FakeBroker.Outcome.retriable;
import static java.time.Duration.ofHours;
import static java.time.Duration.ofMillis;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.outbox.Backoff;
import dev.outbox.DrainResult;
import dev.outbox.Envelope;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.ParkedMessage;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.StoreException;
import dev.outbox.fake.FakeBroker;
import dev.outbox.fake.FakeConnection;
import dev.outbox.fake.ManualTicker;
import dev.outbox.fake.RecordingListener;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.memory.RecordingMonitor;
import dev.outbox.spi.ForwardingMessageStore;
import dev.outbox.spi.PartitionMonitor;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The relay's decisions, against an in-memory store and a scripted broker. */
class DefaultRelayTest {
    private static final int LANES = 8;
    private static final String TOPIC = "Orders.Events.OrderPlaced";
    private static final String KEY_A = keyInLane(1);
    private static final String KEY_B = keyInLane(2);
    private static final String KEY_C = keyInLane(5);

    private final InMemoryMessageStore store = InMemoryMessageStore.create(LANES);
    private final FakeBroker broker = new FakeBroker();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private final RecordingListener listener = new RecordingListener();
    private final Outbox outbox = Outbox.builder().store(store).build();
    private final Connection tx = FakeConnection.inTransaction();
    private final List<Relay> relays = new ArrayList<>();

    @AfterEach
    void closeRelays() {
        relays.forEach(Relay::close);
    }

    // --- ordering -------------------------------------------------------------------------------------------

    @Test
    void publishesEveryLaneInIdOrderAndEmptiesTheStore() {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(append(KEY_A));
            ids.add(append(KEY_B));
            ids.add(append(KEY_C));
        }
        Relay relay = build(relay());

        DrainResult result = relay.drainNow();

        assertThat(result.published()).isEqualTo(15);
        assertThat(result.stopped()).isEmpty();
        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.publishedIds()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(byLane(broker.published()))
                .allSatisfy((lane, laneIds) -> assertThat(laneIds).isSorted());
        assertThat(listener.published()).containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void sendsTheEnvelopeOfEachMessage() {
        long id = outbox.in(tx)
                .append(Message.builder(TOPIC)
                        .key(KEY_A)
                        .type("OrderPlaced")
                        .payload("{\"order\":1}", "application/json")
                        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                        .build())
                .value();
        build(relay()).drainNow();

        OutgoingMessage sent = broker.published().get(0);
        Envelope e = sent.envelope();
        assertThat(e.messageId()).isEqualTo(new MessageId(id));
        assertThat(e.source()).isEqualTo("orders");
        assertThat(e.topic()).isEqualTo(TOPIC);
        assertThat(e.key()).isEqualTo(KEY_A);
        assertThat(e.type()).isEqualTo("OrderPlaced");
        assertThat(e.contentType()).isEqualTo("application/json");
        assertThat(e.headers()).containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(new String(sent.payload(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"order\":1}");
        assertThat(sent.lane()).isEqualTo(Lanes.laneOf(TOPIC, KEY_A, LANES));
    }

    @Test
    void fetchesAtMostOneBatchPerRound() {
        for (int i = 0; i < 7; i++) {
            append(KEY_A);
        }
        Relay relay = build(relay().batchSize(3));

        DrainResult result = relay.drainNow();

        assertThat(broker.batches()).extracting(List::size).containsExactly(3, 3, 1);
        assertThat(result.published()).isEqualTo(7);
        assertThat(broker.publishedIds()).isSorted();
    }

    // --- failures within a lane ----------------------------------------------------------------------------

    @Test
    void aFailureEndsItsLaneRoundAndTheLaterMessagesFollowItInOrder() {
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        long a3 = append(KEY_A);
        long b1 = append(KEY_B);
        long b2 = append(KEY_B);
        broker.script(a2, retriable("broker busy"));
        Relay relay = build(relay());

        DrainResult first = relay.drainNow();

        // a3 went out with the batch, but is not acknowledged: it must follow a2.
        assertThat(first.published()).isEqualTo(3);
        assertThat(store.waitingIds()).containsExactly(a2, a3);
        assertThat(store.find(a2).orElseThrow().attempts()).isEqualTo(1);
        assertThat(store.lastError(a2)).contains("broker busy");
        assertThat(listener.failures()).singleElement().isInstanceOf(RetriableException.class);

        await().atMost(ofSeconds(10)).untilAsserted(() -> {
            relay.drainNow();
            assertThat(store.waitingIds()).isEmpty();
        });
        assertThat(broker.batches()).containsExactly(List.of(a1, a2, a3, b1, b2), List.of(a2), List.of(a3));
        assertThat(monitor.stopped()).isEmpty();
    }

    @Test
    void aLaneWaitsOutItsBackoffOnTheTickerNotTheWallClock() {
        ManualTicker ticker = new ManualTicker();
        long a1 = append(KEY_A);
        long b1 = append(KEY_B);
        broker.script(a1, retriable("not yet"));
        Relay relay = build(relay().ticker(ticker).backoff(Backoff.fixed(ofHours(1))));

        relay.drainNow();
        long b2 = append(KEY_B);
        DrainResult second = relay.drainNow();

        // The second drain published lane B again but left lane A alone: its backoff runs for an hour.
        assertThat(second.published()).isEqualTo(1);
        assertThat(broker.batches()).containsExactly(List.of(a1, b1), List.of(b2));
        assertThat(store.waitingIds()).containsExactly(a1);

        ticker.advance(ofMinutes(59));
        assertThat(relay.drainNow().published()).as("59 minutes in").isZero();
        ticker.advance(ofMinutes(1));
        assertThat(relay.drainNow().published()).as("an hour in").isEqualTo(1);
        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.batches()).last().isEqualTo(List.of(a1));
    }

    @Test
    void aLaneRetryingItsHeadSendsOnlyTheHead() {
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        long a3 = append(KEY_A);
        broker.script(a1, retriable("one"), retriable("two"));
        Relay relay = build(relay());
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());

        assertThat(broker.batches()).containsExactly(List.of(a1, a2, a3), List.of(a1), List.of(a1), List.of(a2, a3));
    }

    @Test
    void aPublishTimeoutIsRetriable() {
        long a1 = append(KEY_A);
        broker.script(a1, never());
        Relay relay = build(relay().publishTimeout(ofMillis(100)));
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());

        assertThat(broker.publishedIds()).containsExactly(a1, a1);
        assertThat(listener.failures())
                .singleElement()
                .isInstanceOf(RetriableException.class)
                .extracting(Throwable::getMessage)
                .asString()
                .contains("within");
        assertThat(monitor.stopped()).isEmpty();
    }

    @Test
    void aBrokerThatThrowsFailsTheBatchRetriably() {
        long a1 = append(KEY_A);
        long b1 = append(KEY_B);
        broker.throwOnNextPublish(new IllegalStateException("producer closed"));
        Relay relay = build(relay());

        DrainResult first = relay.drainNow();

        assertThat(first.published()).isZero();
        assertThat(store.find(a1).orElseThrow().attempts()).isEqualTo(1);
        assertThat(store.lastError(b1).orElseThrow()).contains("producer closed");
        assertThat(listener.failures()).hasSize(2).allSatisfy(e -> assertThat(e.isRetriable())
                .isTrue());

        await().atMost(ofSeconds(10)).untilAsserted(() -> {
            relay.drainNow();
            assertThat(store.waitingIds()).isEmpty();
        });
        assertThat(broker.publishedIds()).containsExactlyInAnyOrder(a1, b1);
        assertThat(monitor.stopped()).isEmpty();
    }

    @Test
    void anExceptionOutsideTheHierarchyCountsAsRetriable() {
        long a1 = append(KEY_A);
        broker.script(a1, failWith(new IllegalArgumentException("odd")));
        Relay relay = build(relay().maxAttempts(2));

        relay.drainNow();

        assertThat(store.stoppedLanes()).isEmpty();
        assertThat(listener.failures()).singleElement().satisfies(e -> {
            assertThat(e).isInstanceOf(RetriableException.class);
            assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
        });
    }

    // --- the pipeline --------------------------------------------------------------------------------------------

    @Test
    void aLanesNextMessagesGoOutWhileEarlierOnesAwaitTheirAcknowledgement() {
        broker.byDefault(held());
        long a1 = append(KEY_A);
        Relay relay = build(relay());
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().contains(a1));

        long a2 = append(KEY_A);
        // a1 is still unanswered: a stop-and-wait relay would not read a2 yet.
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().contains(a2));
        assertThat(broker.heldIds()).containsExactlyInAnyOrder(a1, a2);

        broker.acknowledge(a2);
        broker.acknowledge(a1);
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsExactly(a1, a2);
    }

    @Test
    void aLaneWhoseOldestMessageWaitsPastASecondIsReadNoFurtherWhileTheWorkersOtherLanesFlow() {
        ManualTicker ticker = new ManualTicker();
        long a1 = append(KEY_A);
        broker.always(a1, held());
        Relay relay = build(
                relay().ticker(ticker).concurrency(1).publishTimeout(ofHours(1)).lease(ofHours(1)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().contains(a1));

        // a1's partition is stuck: piling the lane's next messages behind it would fill the flight of every lane.
        ticker.advance(ofSeconds(2));
        long a2 = append(KEY_A);
        long b1 = append(KEY_B);
        // Time moves on (the relay reads on the ticker), a1 stays unanswered.
        awaitTicking(ticker, () -> !store.waitingIds().contains(b1));
        assertThat(broker.publishedIds()).doesNotContain(a2);

        broker.acknowledge(a1);
        awaitTicking(ticker, () -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsSubsequence(a1, a2);
    }

    @Test
    void aFetchThatLeavesLateMessagesOutIsReadAgainFromTheStartAndSkipsNothingOfAStalledLane() throws Exception {
        ManualTicker ticker = new ManualTicker();
        AtomicBoolean leaveOutLate = new AtomicBoolean();
        // The PostgreSQL store's answer when a transaction that commits late holds more messages than it looks for.
        dev.outbox.spi.MessageStore bounded = new ForwardingMessageStore(store) {
            @Override
            public dev.outbox.spi.Fetched fetch(dev.outbox.spi.FetchRequest request) {
                dev.outbox.spi.Fetched all = super.fetch(request);
                Map<Integer, Long> after = new HashMap<>();
                request.lanes().forEach(c -> after.put(c.lane(), c.after()));
                List<dev.outbox.spi.StoredMessage> kept = all.messages().stream()
                        .filter(m -> m.id().value() > after.getOrDefault(m.lane(), 0L))
                        .toList();
                if (kept.size() == all.messages().size() || !leaveOutLate.getAndSet(false)) {
                    return all;
                }
                return new dev.outbox.spi.Fetched(kept, all.mark(), all.readThrough(), false);
            }
        };
        long a1 = append(KEY_A);
        broker.always(a1, held());
        Relay relay = build(relay().store(bounded)
                .ticker(ticker)
                .concurrency(1)
                .publishTimeout(ofHours(1))
                .lease(ofHours(1)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().contains(a1));
        // Lane A stalls behind a1, and gets a2, which it does not read while it is stalled.
        ticker.advance(ofSeconds(2));
        long a2 = append(KEY_A);

        try (Connection slow = store.transaction()) {
            long early = outbox.in(slow)
                    .append(Message.builder(TOPIC)
                            .key(KEY_B)
                            .type("OrderPlaced")
                            .payload("early", "text/plain")
                            .build())
                    .value();
            long later = append(KEY_B);
            awaitTicking(ticker, () -> broker.publishedIds().contains(later));
            leaveOutLate.set(true);
            slow.commit();

            awaitTicking(ticker, () -> broker.publishedIds().contains(early));
            assertThat(leaveOutLate).as("a fetch left the late message out").isFalse();
        }
        assertThat(broker.publishedIds()).doesNotContain(a2);

        broker.acknowledge(a1);
        awaitTicking(ticker, () -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsSubsequence(a1, a2);
        assertThat(relay.stoppedLanes()).isEmpty();
    }

    @Test
    void aLaterMessageTheBrokerAcknowledgedFirstIsHeldBackWhenAnEarlierOneOfItsLaneFails() {
        broker.byDefault(held());
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        long b1 = append(KEY_B);
        Relay relay = build(relay().backoff(Backoff.fixed(ofHours(1))));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().size() == 3);

        // The broker acknowledges a2 and b1 before it refuses a1: a2 must not be taken as published ahead of a1.
        broker.acknowledge(a2);
        broker.acknowledge(b1);
        broker.fail(a1, new RetriableException("leader moved"));

        await().atMost(ofSeconds(10)).until(() -> !store.waitingIds().contains(b1));
        await().atMost(ofSeconds(10)).until(() -> store.find(a1).orElseThrow().attempts() == 1);
        assertThat(store.waitingIds()).as("a2 waits for a1").containsExactly(a1, a2);
        assertThat(listener.published()).doesNotContain(a2);
    }

    @Test
    void nothingMoreOfALaneIsSentOnceAMessageOfItsFlightFailedEvenWhileEarlierOnesAreUnanswered() {
        broker.byDefault(held());
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        Relay relay = build(relay());
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().containsAll(List.of(a1, a2)));

        // a2 is refused while a1 is still unanswered: the relay cannot settle a2 yet, but knows it failed.
        broker.fail(a2, new RetriableException("leader moved"));
        long a3 = append(KEY_A);
        long b1 = append(KEY_B);
        // b1 was committed after a3, and the read that sent it came after a2's failure: a3 was not sent with it.
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().contains(b1));
        assertThat(broker.heldIds()).as("a3 waits behind the failed a2").doesNotContain(a3);

        broker.byDefault(FakeBroker.Outcome.ok());
        broker.acknowledge(a1);
        broker.acknowledge(b1);
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.acknowledged().stream().filter(id -> id != b1)).containsExactly(a1, a2, a3);
        assertThat(broker.publishedIds().stream().filter(id -> id != b1)).containsExactly(a1, a2, a2, a3);
    }

    @Test
    void aMessageCommittedAfterALaterOneOfItsLaneWasPublishedIsPublishedToo() throws Exception {
        Relay relay = build(relay());
        try (Connection slow = store.transaction()) {
            long early = outbox.in(slow)
                    .append(Message.builder(TOPIC)
                            .key(KEY_A)
                            .type("OrderPlaced")
                            .payload("early", "text/plain")
                            .build())
                    .value();
            long later = append(KEY_A);
            assertThat(relay.drainNow().published()).isEqualTo(1);
            assertThat(broker.publishedIds()).containsExactly(later);

            slow.commit();
            // The lane was read past early's id: early is late, and found by the next read all the same.
            assertThat(relay.drainNow().published()).isEqualTo(1);
            assertThat(broker.publishedIds()).containsExactly(later, early);
            assertThat(store.waitingIds()).isEmpty();
        }
    }

    @Test
    void aHeartbeatAnsweredBeforeAStopNeverRevivesTheLane() {
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        AtomicBoolean stale = new AtomicBoolean();
        // A store whose next heartbeat answers as if the stop had not happened yet (it was answered before).
        InMemoryMessageStore staleStore = store;
        dev.outbox.spi.MessageStore answeringLate = new ForwardingMessageStore(staleStore) {
            @Override
            public dev.outbox.spi.LaneAssignment heartbeat(String relayId, Duration lease) {
                dev.outbox.spi.LaneAssignment a = super.heartbeat(relayId, lease);
                if (!stale.getAndSet(false)) {
                    return a;
                }
                return new dev.outbox.spi.LaneAssignment(
                        a.claims().stream()
                                .map(c -> new dev.outbox.spi.LaneClaim(c.lane(), c.epoch(), false, c.generation()))
                                .toList(),
                        a.fairShare(),
                        a.liveRelays());
            }
        };
        long a1 = append(KEY_A);
        broker.script(a1, fatal("unroutable"));
        Relay relay = build(relay().store(answeringLate));
        relay.drainNow();
        assertThat(store.stoppedLanes()).extracting(StoppedLane::lane).containsExactly(laneA);

        stale.set(true);
        long a2 = append(KEY_A);
        relay.drainNow();

        assertThat(broker.publishedIds()).as("nothing of the stopped lane").containsExactly(a1);
        assertThat(store.waitingIds()).containsExactly(a1, a2);
        assertThat(monitor.restarted()).isEmpty();

        relay.restart(laneA);
        broker.always(a1, dev.outbox.fake.FakeBroker.Outcome.ok());
        relay.drainNow();
        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.acknowledged()).containsExactly(a1, a2);
        assertThat(monitor.restarted()).containsExactly(laneA);
    }

    @Test
    void closeLetsWhatIsInFlightSettleAndDeletesIt() {
        broker.byDefault(held());
        long a1 = append(KEY_A);
        Relay relay = build(relay());
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().contains(a1));

        Thread closing = new Thread(relay::close, "test-closing");
        closing.start();
        await().atMost(ofSeconds(10))
                .until(() ->
                        closing.getState() == Thread.State.TIMED_WAITING || closing.getState() == Thread.State.WAITING);
        broker.acknowledge(a1);
        await().atMost(ofSeconds(10)).until(() -> !closing.isAlive());

        assertThat(store.waitingIds()).as("deleted before the relay left").isEmpty();
        assertThat(store.leaves()).containsExactly("relay-1");
    }

    @Test
    void withATransactionalBrokerTheNextBatchIsReadWhileOneIsInFlightAndSentOnlyOnceThatOneIsDeleted() {
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        long b1 = append(KEY_B);
        // A previous owner published a1 in a transaction that committed, and died before it deleted it.
        broker.transactional(Map.of(laneA, Set.of(new MessageId(a1))));
        broker.byDefault(held());
        Set<Long> read = ConcurrentHashMap.newKeySet();
        dev.outbox.spi.MessageStore counting = new ForwardingMessageStore(store) {
            @Override
            public dev.outbox.spi.Fetched fetch(dev.outbox.spi.FetchRequest request) {
                dev.outbox.spi.Fetched fetched = super.fetch(request);
                fetched.messages().forEach(m -> read.add(m.id().value()));
                return fetched;
            }
        };
        Relay relay = build(relay().store(counting).batchSize(1));
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> broker.heldIds().size() == 1);
        assertThat(broker.takeOvers())
                .first()
                .isEqualTo(IntStream.range(0, LANES).boxed().toList());
        assertThat(store.waitingIds()).as("a1 deleted, not published again").doesNotContain(a1);
        long first = broker.heldIds().iterator().next();
        long second = first == a2 ? b1 : a2;
        // The next batch is read while the first is in flight, and not sent before the first is settled and deleted.
        await().atMost(ofSeconds(10)).until(() -> read.contains(second));
        assertThat(broker.heldIds()).containsExactly(first);

        // Its delete fails once: the next batch still waits for it.
        store.failNext(InMemoryMessageStore.Op.ACKNOWLEDGE, new StoreException("connection reset", null));
        broker.acknowledge(first);
        await().atMost(ofSeconds(10))
                .until(() -> broker.heldIds().size() == 1 && !broker.heldIds().contains(first));
        assertThat(store.waitingIds())
                .as("sent only once the first was deleted")
                .doesNotContain(first);
        assertThat(broker.heldIds()).containsExactly(second);
        broker.acknowledge(second);
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsExactlyInAnyOrder(a2, b1).doesNotContain(a1);
    }

    @Test
    void drainNowTakesLanesOverFromATransactionalBrokerBeforeItPublishesThem() {
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        long b1 = append(KEY_B);
        broker.transactional(Map.of(laneA, Set.of(new MessageId(a1))));
        Relay relay = build(relay().batchSize(1));

        DrainResult result = relay.drainNow();

        assertThat(broker.takeOvers()).isNotEmpty();
        assertThat(result.published()).isEqualTo(2);
        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.publishedIds()).containsExactlyInAnyOrder(a2, b1).doesNotContain(a1);
    }

    // --- stopped lanes ---------------------------------------------------------------------------------------

    @Test
    void aMessageFailingMaxAttemptsTimesStopsItsLaneAndTheOthersFlow() {
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        long b1 = append(KEY_B);
        broker.always(a1, retriable("no leader"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay relay = build(relay().maxAttempts(3));
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> !store.stoppedLanes().isEmpty());
        // More traffic on another lane after the stop: it flows, and the stopped lane stays stopped.
        long b2 = append(KEY_B);
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().equals(List.of(a1, a2)));
        long b3 = append(KEY_B);
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().equals(List.of(a1, a2)));

        StoppedLane stopped = store.stoppedLanes().get(0);
        assertThat(stopped.lane()).isEqualTo(laneA);
        assertThat(stopped.messageId()).isEqualTo(new MessageId(a1));
        assertThat(stopped.attempts()).isEqualTo(3);
        assertThat(stopped.reason()).contains("no leader").contains("3 times");
        assertThat(relay.stoppedLanes()).containsExactly(stopped);
        assertThat(monitor.stopped()).containsExactly(stopped);
        assertThat(broker.publishedIds().stream().filter(id -> id == a1)).hasSize(3);
        assertThat(broker.acknowledged()).contains(b1, b2, b3).doesNotContain(a1);
        assertThat(monitor.restarted()).isEmpty();
    }

    @Test
    void aFatalFailureStopsTheLaneAtOnce() {
        long a1 = append(KEY_A);
        long b1 = append(KEY_B);
        broker.script(a1, fatal("record too large"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay relay = build(relay());

        DrainResult result = relay.drainNow();

        assertThat(result.published()).isEqualTo(1);
        assertThat(result.stopped()).singleElement().satisfies(s -> {
            assertThat(s.lane()).isEqualTo(laneA);
            assertThat(s.messageId().value()).isEqualTo(a1);
            assertThat(s.attempts()).isEqualTo(1);
            assertThat(s.reason()).startsWith("fatal:").contains("record too large");
        });
        assertThat(monitor.stopped()).hasSize(1);
        assertThat(store.waitingIds()).containsExactly(a1);
        assertThat(broker.acknowledged()).containsExactly(b1);

        // A stopped lane is left alone by later rounds, whatever comes after.
        append(KEY_A);
        relay.drainNow();
        assertThat(broker.publishedIds().stream().filter(id -> id == a1)).hasSize(1);
        assertThat(monitor.stopped()).hasSize(1);
    }

    @Test
    void aStoppedLaneStaysStoppedBetweenHeartbeats() {
        long a1 = append(KEY_A);
        broker.script(a1, fatal("unroutable"));
        // Heartbeats far apart: rounds run many times on the claims of one heartbeat.
        Relay relay = build(relay().heartbeat(ofSeconds(5)).lease(ofSeconds(30)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> !store.stoppedLanes().isEmpty());

        for (int i = 0; i < 3; i++) {
            long b = append(KEY_B);
            await().atMost(ofSeconds(10)).until(() -> !store.waitingIds().contains(b));
        }

        assertThat(broker.publishedIds().stream().filter(id -> id == a1)).hasSize(1);
        assertThat(monitor.stopped()).hasSize(1);
        assertThat(monitor.restarted()).isEmpty();
    }

    @Test
    void restartResumesAtTheFailedMessage() {
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        broker.script(a1, fatal("not authorised"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay relay = build(relay());
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> !store.stoppedLanes().isEmpty());

        StoppedLane restarted = relay.restart(laneA);

        assertThat(restarted.messageId().value()).isEqualTo(a1);
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        // a2 went out in flight with a1 the first time, but the relay acknowledged it only after a1.
        assertThat(broker.publishedIds()).containsExactly(a1, a2, a1, a2);
        assertThat(listener.published()).containsExactly(a1, a2);
        assertThat(monitor.restarted()).containsExactly(laneA);
        assertThat(store.stoppedLanes()).isEmpty();
        // No second notice once the heartbeat sees the lane running.
        long b = append(KEY_B);
        await().atMost(ofSeconds(10)).until(() -> !store.waitingIds().contains(b));
        assertThat(monitor.restarted()).containsExactly(laneA);
    }

    @Test
    void restartGivesTheHeadAFreshSetOfAttempts() {
        long a1 = append(KEY_A);
        broker.script(a1, retriable("1"), retriable("2"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay relay = build(relay().maxAttempts(2));
        await().atMost(ofSeconds(10))
                .untilAsserted(() -> assertThat(relay.drainNow().stopped()).isNotEmpty());
        assertThat(broker.publishedIds()).containsExactly(a1, a1);

        broker.script(a1, retriable("3"));
        relay.restart(laneA);
        await().atMost(ofSeconds(10)).untilAsserted(() -> {
            relay.drainNow();
            assertThat(store.waitingIds()).isEmpty();
        });

        // One failure after the restart did not stop the lane again: attempts started from zero.
        assertThat(broker.publishedIds()).containsExactly(a1, a1, a1, a1);
        assertThat(monitor.stopped()).hasSize(1);
    }

    @Test
    void skipParksTheHeadAndTheLaneGoesOn() {
        long a1 = append(KEY_A);
        long a2 = append(KEY_A);
        broker.always(a1, fatal("poison"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay relay = build(relay());
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> !store.stoppedLanes().isEmpty());

        ParkedMessage parked = relay.skip(laneA);

        assertThat(parked.messageId().value()).isEqualTo(a1);
        assertThat(parked.lane()).isEqualTo(laneA);
        assertThat(parked.reason()).contains("poison");
        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(listener.published()).containsExactly(a2);
        assertThat(broker.publishedIds()).containsExactly(a1, a2, a2);
        assertThat(store.parked()).containsExactly(parked);
        assertThat(monitor.restarted()).containsExactly(laneA);

        // Replayed with its original id, it is published again (and fails again here).
        assertThat(store.replay(new MessageId(a1))).isTrue();
        await().atMost(ofSeconds(10)).until(() -> store.stoppedLanes().size() == 1);
        assertThat(store.stoppedLanes().get(0).messageId().value()).isEqualTo(a1);
    }

    @Test
    void restartAndSkipRefuseALaneThatIsNotStoppedOrDoesNotExist() {
        Relay relay = build(relay());

        assertThatThrownBy(() -> relay.restart(3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lane 3 is not stopped");
        assertThatThrownBy(() -> relay.skip(3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lane 3 is not stopped");
        assertThatThrownBy(() -> relay.restart(LANES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lane " + LANES + " does not exist");
        assertThatThrownBy(() -> relay.skip(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lane -1 does not exist");
        assertThat(monitor.restarted()).isEmpty();
    }

    @Test
    void operatorCallsOnARelayThatNeverStartedClaimNoLanes() {
        long a1 = append(KEY_A);
        broker.script(a1, fatal("poison"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay worker = build(relay());
        worker.drainNow();
        worker.close();
        assertThat(store.owner(laneA)).isEmpty();

        // A command-line tool builds a relay only to restart a lane; it must not hold lanes the workers need.
        Relay operator = build(relay().id("operator"));
        operator.restart(laneA);

        assertThat(store.stoppedLanes()).isEmpty();
        assertThat(IntStream.range(0, LANES).mapToObj(store::owner)).allMatch(java.util.Optional::isEmpty);
    }

    @Test
    void aFailingMonitorDoesNotStopTheRelay() {
        long a1 = append(KEY_A);
        long b1 = append(KEY_B);
        broker.script(a1, fatal("poison"));
        PartitionMonitor throwing = new PartitionMonitor() {
            @Override
            public void laneStopped(StoppedLane stopped) {
                throw new IllegalStateException("pager down");
            }
        };
        Relay relay = build(relay().monitor(throwing));

        DrainResult result = relay.drainNow();

        assertThat(result.stopped()).hasSize(1);
        assertThat(broker.acknowledged()).containsExactly(b1);
    }

    @Test
    void aFailingListenerDoesNotCostAnAcknowledgement() {
        long a1 = append(KEY_A);
        RelayListener throwing = new RelayListener() {
            @Override
            public void published(OutgoingMessage message, Duration sinceCreated) {
                throw new IllegalStateException("metrics registry closed");
            }
        };
        Relay relay = build(relay().listener(throwing));

        DrainResult result = relay.drainNow();

        assertThat(result.published()).isEqualTo(1);
        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.publishedIds()).containsExactly(a1);
    }

    @Test
    void aRowNoEnvelopeCanCarryStopsOnlyItsOwnLane() {
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        long poison = store.insertRaw(laneA, TOPIC, " ", "text/plain", new byte[0]);
        long a2 = append(KEY_A);
        long b1 = append(KEY_B);
        Relay relay = build(relay());

        DrainResult result = relay.drainNow();

        assertThat(result.published()).isEqualTo(1);
        assertThat(result.stopped()).singleElement().satisfies(s -> {
            assertThat(s.lane()).isEqualTo(laneA);
            assertThat(s.messageId().value()).isEqualTo(poison);
            assertThat(s.reason()).contains("type must not be blank");
        });
        assertThat(broker.publishedIds()).containsExactly(b1);
        assertThat(store.waitingIds()).containsExactly(poison, a2);
        assertThat(monitor.stopped()).hasSize(1);
    }

    @Test
    void tellsTheMonitorAboutALaneThatFallsBehind() {
        long a1 = append(KEY_A);
        broker.always(a1, retriable("slow"));
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        Relay relay = build(relay().backoff(Backoff.fixed(ofHours(1)))
                .maxAttempts(100)
                .lagThreshold(ofMillis(1))
                .maintenanceInterval(ofMillis(20)));
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> monitor.behind().contains(laneA));
        assertThat(monitor.behind()).containsOnly(laneA);
    }

    // --- concurrent rounds ---------------------------------------------------------------------------------

    @Test
    void concurrentRoundsKeepEveryLanesOrderThroughRetries() {
        Map<Long, Integer> laneOf = appendToEveryLane(40);
        List<Long> ids = new ArrayList<>(laneOf.keySet());
        // A failure in lanes of different rounds: each holds back only the later messages of its own lane.
        broker.script(ids.get(9), retriable("busy"));
        broker.script(ids.get(42), retriable("busy"), retriable("still busy"));
        broker.script(ids.get(100), retriable("busy"));
        Relay relay = build(relay().concurrency(3).batchSize(25));
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());

        // Each message counted published once, and each lane's in id order.
        assertThat(listener.published()).containsExactlyInAnyOrderElementsOf(ids);
        Map<Integer, List<Long>> publishedByLane = new HashMap<>();
        listener.published().forEach(id -> publishedByLane
                .computeIfAbsent(laneOf.get(id), k -> new ArrayList<>())
                .add(id));
        assertThat(publishedByLane).hasSize(LANES).allSatisfy((lane, laneIds) -> assertThat(laneIds)
                .isSorted());
        assertThat(monitor.stopped()).isEmpty();
    }

    @Test
    void aRoundWaitingForTheBrokerDoesNotHoldUpTheLanesOfAnother() {
        long a1 = append(KEY_A); // lane 1: the second round's
        long b1 = append(KEY_B); // lane 2: the first round's
        broker.script(a1, never());
        Relay relay = build(relay().concurrency(2).publishTimeout(ofSeconds(30)));
        relay.start();

        // With one round at a time b1 would be deleted only once a1's wait ended, 30 s from now.
        await().atMost(ofSeconds(5)).until(() -> store.waitingIds().equals(List.of(a1)));
        long b2 = append(KEY_B);
        await().atMost(ofSeconds(5)).until(() -> store.waitingIds().equals(List.of(a1)));

        assertThat(broker.acknowledged()).containsExactly(b1, b2);
    }

    @Test
    void aRoundThatPublishedMakesTheOthersLookAgainSoon() {
        store.silent(true);
        long a1 = append(KEY_A);
        Relay relay = build(relay().concurrency(2).frequency(ofHours(1)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.publishedIds().contains(a1));

        long b1 = append(KEY_B); // the other round's lane, and nothing wakes it

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsExactly(a1, b1);
    }

    @Test
    void drainNowRunsTheRoundsOfEveryShareOfTheLanes() {
        Map<Long, Integer> laneOf = appendToEveryLane(3);
        List<Long> ids = new ArrayList<>(laneOf.keySet());
        Relay relay = build(relay().concurrency(4).batchSize(2));

        DrainResult result = relay.drainNow();

        assertThat(result.published()).isEqualTo(ids.size());
        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.batches()).allSatisfy(batch -> assertThat(batch)
                .extracting(id -> laneOf.get(id) % 4)
                .as("a round publishes only its own lanes")
                .containsOnly(laneOf.get(batch.get(0)) % 4));
    }

    @Test
    void releasesSurplusLanesFromEachRoundsShareEvenly() {
        Relay relay = build(relay().concurrency(2));
        relay.drainNow();

        store.heartbeat("relay-2", ofSeconds(30));
        relay.drainNow();

        assertThat(relay.ownedLanes()).containsExactly(0, 1, 2, 3);
        assertThat(store.releases()).containsExactly(List.of(6, 4), List.of(7, 5));
    }

    @Test
    void closeStopsTheThreadOfEveryRound() {
        Relay relay = build(relay().concurrency(3));
        relay.start();
        assertThat(relayThreads())
                .contains("outbox-relay-relay-1-worker-0", "outbox-relay-relay-1-worker-1")
                .contains("outbox-relay-relay-1-worker-2", "outbox-relay-relay-1-heartbeat")
                .contains("outbox-relay-relay-1-acknowledger", "outbox-relay-relay-1-maintenance");

        relay.close();

        assertThat(relayThreads()).isEmpty();
        assertThat(store.leaves()).containsExactly("relay-1");
    }

    // --- fencing and lanes -----------------------------------------------------------------------------------

    @Test
    void anAcknowledgementRefusedByFencingLeavesTheMessageToTheLanesNewOwner() {
        long a1 = append(KEY_A);
        long b1 = append(KEY_B);
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        AtomicBoolean seized = new AtomicBoolean();
        broker.beforeReturn(batch -> {
            // Another relay takes lane A while the batch is in flight, as after a long pause of this one.
            if (seized.compareAndSet(false, true)) {
                store.seize(laneA, "relay-2");
            }
        });
        Relay relay = build(relay());

        relay.drainNow();

        assertThat(store.waitingIds()).as("left to the lane's new owner").containsExactly(a1);
        assertThat(store.refusedAcknowledgements()).isEqualTo(1);
        assertThat(relay.ownedLanes()).doesNotContain(laneA);
        assertThat(broker.acknowledged()).containsExactly(a1, b1);
    }

    @Test
    void aRunningRelayLetsGoOfALaneAtOnceWhenItsAcknowledgementIsRefused() {
        long a1 = append(KEY_A);
        long b1 = append(KEY_B);
        int laneA = Lanes.laneOf(TOPIC, KEY_A, LANES);
        AtomicBoolean seized = new AtomicBoolean();
        broker.beforeReturn(batch -> {
            if (seized.compareAndSet(false, true)) {
                store.seize(laneA, "relay-2");
            }
        });
        // Heartbeats far apart: without an early heartbeat the relay would publish lane A again every round.
        Relay relay = build(relay().heartbeat(ofSeconds(5)).lease(ofSeconds(30)));
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> !store.waitingIds().contains(b1));
        long b2 = append(KEY_B);
        await().atMost(ofSeconds(10)).until(() -> !store.waitingIds().contains(b2));

        assertThat(broker.publishedIds().stream().filter(id -> id == a1)).hasSize(1);
        assertThat(relay.ownedLanes()).doesNotContain(laneA);
        assertThat(store.waitingIds()).containsExactly(a1);
    }

    @Test
    void releasesSurplusLanesWhenTheFairShareDrops() {
        Relay relay = build(relay());
        relay.drainNow();
        assertThat(relay.ownedLanes()).hasSize(LANES);

        store.heartbeat("relay-2", ofSeconds(30));
        relay.drainNow();

        assertThat(relay.ownedLanes()).containsExactly(0, 1, 2, 3);
        assertThat(store.releases()).containsExactly(List.of(7, 6, 5, 4));
        assertThat(store.heartbeat("relay-2", ofSeconds(30)).claims())
                .extracting(c -> c.lane())
                .containsExactly(4, 5, 6, 7);
        assertThat(listener.lanesOwned()).containsSubsequence(LANES, 4);
    }

    @Test
    void aRunningRelayReleasesSurplusLanesAndTakesOverADeadRelaysLanes() {
        Relay relay = build(relay());
        relay.start();
        assertThat(relay.ownedLanes()).hasSize(LANES);

        store.heartbeat("relay-2", ofSeconds(30));
        await().atMost(ofSeconds(10)).until(() -> relay.ownedLanes().size() == LANES / 2);
        assertThat(store.heartbeat("relay-2", ofSeconds(30)).claims()).hasSize(LANES / 2);

        store.expire("relay-2");
        await().atMost(ofSeconds(10)).until(() -> relay.ownedLanes().size() == LANES);
    }

    @Test
    void aStoreFailureInARoundIsRetried() {
        long a1 = append(KEY_A);
        store.failNext(InMemoryMessageStore.Op.FETCH, new StoreException("connection reset", null));
        Relay relay = build(relay());
        relay.start();

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsExactly(a1);
    }

    @Test
    void wakesUpOnAppendRatherThanWaitingForItsPoll() {
        Relay relay = build(relay().frequency(ofHours(1)));
        relay.start();
        long a1 = append(KEY_A);

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsExactly(a1);
    }

    @Test
    void looksAgainSoonAfterPublishingThoughNothingWakesIt() {
        store.silent(true);
        long a1 = append(KEY_A);
        Relay relay = build(relay().frequency(ofHours(1)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.publishedIds().contains(a1));

        long a2 = append(KEY_B);

        await().atMost(ofSeconds(10)).until(() -> store.waitingIds().isEmpty());
        assertThat(broker.publishedIds()).containsExactly(a1, a2);
    }

    @Test
    void anIdleRelayBacksOffToItsFrequency() {
        store.silent(true);
        long a1 = append(KEY_A);
        Relay relay = build(relay().frequency(ofMillis(200)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.publishedIds().contains(a1));
        int before = store.fetchCalls();

        // Idle for a second: looks after 1, 2, 4 ... 128 ms, then every 200 ms: a dozen, not hundreds.
        await().pollDelay(ofSeconds(1)).atMost(ofSeconds(2)).until(() -> true);

        assertThat(store.fetchCalls() - before).isBetween(3, 30);
    }

    // --- lifecycle -------------------------------------------------------------------------------------------

    @Test
    void drainNowWorksOnAStartedRelay() {
        Relay relay = build(relay().frequency(ofHours(1)));
        relay.start();
        List<Long> ids = List.of(append(KEY_A), append(KEY_B), append(KEY_A));

        relay.drainNow();

        assertThat(store.waitingIds()).isEmpty();
        assertThat(broker.acknowledged()).containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void closeIsIdempotentStopsItsThreadsAndLeaves() {
        Relay relay = build(relay());
        relay.start();
        assertThat(relayThreads()).isNotEmpty();
        assertThat(store.appendListeners()).isEqualTo(1);

        relay.close();
        relay.close();

        assertThat(relayThreads()).isEmpty();
        assertThat(store.leaves()).containsExactly("relay-1");
        assertThat(store.appendListeners()).isZero();
        assertThat(relay.ownedLanes()).isEmpty();
        assertThat(IntStream.range(0, LANES).mapToObj(store::owner)).allMatch(java.util.Optional::isEmpty);
        assertThat(broker.closeCalls()).as("the broker belongs to the caller").isZero();
    }

    @Test
    void closeDoesNotWaitForAcknowledgementsThatNeverCome() {
        long a1 = append(KEY_A);
        broker.always(a1, never());
        Relay relay = build(relay().publishTimeout(ofSeconds(60)));
        relay.start();
        await().atMost(ofSeconds(10)).until(() -> broker.publishedIds().contains(a1));

        assertTimeoutPreemptively(ofSeconds(5), relay::close);

        assertThat(relayThreads()).isEmpty();
        assertThat(store.waitingIds()).containsExactly(a1);
        assertThat(store.leaves()).containsExactly("relay-1");
    }

    @Test
    void closeOfARelayThatNeverStartedLeaves() {
        Relay relay = build(relay());
        relay.drainNow();

        relay.close();

        assertThat(store.leaves()).containsExactly("relay-1");
        assertThat(relay.ownedLanes()).isEmpty();
    }

    @Test
    void startsOnlyOnce() {
        Relay relay = build(relay());
        relay.start();

        assertThatThrownBy(relay::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already started");
    }

    @Test
    void aClosedRelayCannotStartOrDrain() {
        Relay relay = build(relay());
        relay.close();

        assertThatThrownBy(relay::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(relay::drainNow)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(relayThreads()).isEmpty();
    }

    @Test
    void startFailsWhenTheFirstHeartbeatFailsAndStartsNothing() {
        store.failNext(
                InMemoryMessageStore.Op.HEARTBEAT, new StoreException("relation outbox_lane does not exist", null));
        Relay relay = build(relay());

        assertThatThrownBy(relay::start).isInstanceOf(StoreException.class).hasMessageContaining("outbox_lane");
        assertThat(relayThreads()).isEmpty();

        relay.start();
        assertThat(relay.ownedLanes()).hasSize(LANES);
    }

    @Test
    void identifiesItself() {
        assertThat(build(relay().id("warehouse-7")).id()).isEqualTo("warehouse-7");
        assertThat(build(relay().id(null)).id()).matches("orders-[0-9a-f]{8}");
        assertThat(build(relay().id(null)).id())
                .isNotEqualTo(build(relay().id(null)).id());
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    /**
     * One round at a time, so that the batches a test expects do not depend on how two rounds interleave; the tests
     * of {@code concurrency} set their own.
     */
    /** Waits until {@code condition} holds, moving {@code ticker} on by 20 ms before each look (the relay reads on it). */
    private static void awaitTicking(ManualTicker ticker, java.util.concurrent.Callable<Boolean> condition) {
        await().atMost(ofSeconds(10)).until(() -> {
            ticker.advance(ofMillis(20));
            return condition.call();
        });
    }

    private Relay.Builder relay() {
        return Relay.builder()
                .concurrency(1)
                .store(store)
                .broker(broker)
                .source("orders")
                .id("relay-1")
                .monitor(monitor)
                .listener(listener)
                .frequency(ofMillis(10))
                .backoff(Backoff.fixed(ofMillis(20)))
                .publishTimeout(ofSeconds(5))
                .heartbeat(ofMillis(50))
                .lease(ofSeconds(2));
    }

    private Relay build(Relay.Builder builder) {
        Relay relay = builder.build();
        relays.add(relay);
        return relay;
    }

    private long append(String key) {
        return outbox.in(tx)
                .append(Message.builder(TOPIC)
                        .key(key)
                        .type("OrderPlaced")
                        .payload("order of " + key, "text/plain")
                        .build())
                .value();
    }

    /** Appends {@code times} messages to every lane, lane by lane; returns each id's lane, in id order. */
    private Map<Long, Integer> appendToEveryLane(int times) {
        Map<Long, Integer> laneOf = new java.util.LinkedHashMap<>();
        for (int i = 0; i < times; i++) {
            for (int lane = 0; lane < LANES; lane++) {
                laneOf.put(append(keyInLane(lane)), lane);
            }
        }
        return laneOf;
    }

    private static Map<Integer, List<Long>> byLane(List<OutgoingMessage> published) {
        Map<Integer, List<Long>> lanes = new HashMap<>();
        for (OutgoingMessage m : published) {
            lanes.computeIfAbsent(m.lane(), k -> new ArrayList<>())
                    .add(m.envelope().messageId().value());
        }
        return lanes;
    }

    private static String keyInLane(int lane) {
        for (int i = 0; ; i++) {
            String key = "order-" + i;
            if (Lanes.laneOf(TOPIC, key, LANES) == lane) {
                return key;
            }
        }
    }

    private static Set<String> relayThreads() {
        Set<String> names = new java.util.TreeSet<>();
        Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("outbox-relay-"))
                .forEach(names::add);
        return names;
    }
}
