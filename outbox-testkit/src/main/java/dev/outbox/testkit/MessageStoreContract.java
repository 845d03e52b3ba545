package dev.outbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.LaneBacklog;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import dev.outbox.TransactionRequiredException;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.NewMessage;
import dev.outbox.spi.ReadMark;
import dev.outbox.spi.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link MessageStore} must honour. Extend it, implement the three factory methods, and run it
 * against your store's real database; the JDBI store passes it.
 *
 * <pre>{@code
 * class MyStoreIT extends MessageStoreContract {
 *     protected MessageStore newStore(int lanes) { ... a store on fresh, empty tables ... }
 *     protected Connection transaction() { ... a connection with auto-commit off ... }
 *     protected Connection autoCommitConnection() { ... }
 * }
 * }</pre>
 */
public abstract class MessageStoreContract {
    /** The lane count the contract's stores are created with. */
    protected static final int LANES = 8;

    private static final Duration LEASE = Duration.ofSeconds(30);

    private MessageStore store;

    /** A store on fresh, empty tables with {@code lanes} lanes, deleting messages on acknowledge. */
    protected abstract MessageStore newStore(int lanes);

    /** A new connection to the store's database with auto-commit off; the contract commits or rolls back and closes. */
    protected abstract Connection transaction() throws SQLException;

    /** A new connection to the store's database with auto-commit on; the contract closes it. */
    protected abstract Connection autoCommitConnection() throws SQLException;

    @BeforeEach
    final void createStore() {
        store = newStore(LANES);
    }

    /** The store under test. */
    protected final MessageStore store() {
        return store;
    }

    // --- helpers --------------------------------------------------------------------------------------------

    /** A message to {@code topic} with key {@code key} and a UTF-8 payload. */
    protected static NewMessage message(String topic, String key, String payload) {
        Message m = Message.builder(topic)
                .key(key)
                .type("Test")
                .payload(payload, "text/plain")
                .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .build();
        return new NewMessage(Lanes.laneOf(topic, key, LANES), m);
    }

    /** Appends and commits, returning the ids. */
    protected final List<MessageId> appendCommitted(NewMessage... messages) throws SQLException {
        try (Connection c = transaction()) {
            List<MessageId> ids = store.append(c, List.of(messages));
            c.commit();
            return ids;
        }
    }

    private List<StoredMessage> fetchAll(LaneAssignment a) {
        return store.fetch(new FetchRequest(cursors(a.claims(), 0, 10_000), 10_000, ReadMark.NONE))
                .messages();
    }

    /** Every claimed lane, read from {@code after} with {@code limit}. */
    private static List<LaneCursor> cursors(List<LaneClaim> claims, long after, int limit) {
        return claims.stream().map(c -> new LaneCursor(c.lane(), after, limit)).toList();
    }

    private static List<Long> ids(Fetched f) {
        return f.messages().stream().map(m -> m.id().value()).toList();
    }

    private static LaneClaim claimOf(LaneAssignment a, int lane) {
        return a.claims().stream().filter(c -> c.lane() == lane).findFirst().orElseThrow();
    }

    // --- append (G1) ----------------------------------------------------------------------------------------

    @Test
    void committedAppendIsStoredWithEveryField() throws SQLException {
        NewMessage m = message("orders.placed", "order-1", "hello");
        List<MessageId> ids = appendCommitted(m);
        LaneAssignment a = store.heartbeat("relay-a", LEASE);

        List<StoredMessage> got = fetchAll(a);
        assertThat(got).hasSize(1);
        StoredMessage s = got.get(0);
        assertThat(s.id()).isEqualTo(ids.get(0));
        assertThat(s.lane()).isEqualTo(m.lane());
        assertThat(s.topic()).isEqualTo("orders.placed");
        assertThat(s.key()).isEqualTo("order-1");
        assertThat(s.type()).isEqualTo("Test");
        assertThat(s.contentType()).isEqualTo("text/plain");
        assertThat(new String(s.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(s.headers()).containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(s.attempts()).isZero();
        assertThat(s.createdAt()).isNotNull();
    }

    @Test
    void rolledBackAppendLeavesNothing() throws SQLException {
        try (Connection c = transaction()) {
            store.append(c, List.of(message("t", "k", "x")));
            c.rollback();
        }
        assertThat(fetchAll(store.heartbeat("relay-a", LEASE))).isEmpty();
    }

    @Test
    void appendOnAutoCommitConnectionFails() throws SQLException {
        try (Connection c = autoCommitConnection()) {
            assertThatThrownBy(() -> store.append(c, List.of(message("t", "k", "x"))))
                    .isInstanceOf(TransactionRequiredException.class)
                    .hasMessageContaining("auto-commit");
        }
        assertThat(fetchAll(store.heartbeat("relay-a", LEASE))).isEmpty();
    }

    @Test
    void appendOnClosedConnectionFails() throws SQLException {
        Connection c = transaction();
        c.close();
        assertThatThrownBy(() -> store.append(c, List.of(message("t", "k", "x"))))
                .isInstanceOf(TransactionRequiredException.class);
    }

    @Test
    void manyMessagesGetIncreasingIdsInListOrder() throws SQLException {
        List<NewMessage> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(message("t", "k" + (i % 5), "m" + i));
        }
        List<MessageId> ids = appendCommitted(batch.toArray(NewMessage[]::new));
        assertThat(ids).hasSize(50);
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i).value()).isGreaterThan(ids.get(i - 1).value());
        }
    }

    @Test
    void peekSeesTheTransactionsOwnUncommittedMessages() throws SQLException {
        try (Connection c = transaction()) {
            store.append(c, List.of(message("t", "k", "mine")));
            List<StoredMessage> seen = store.peek(c, 10);
            assertThat(seen)
                    .extracting(m -> new String(m.payload(), StandardCharsets.UTF_8))
                    .containsExactly("mine");
            c.rollback();
        }
        try (Connection c = transaction()) {
            assertThat(store.peek(c, 10)).isEmpty();
            c.rollback();
        }
    }

    // --- fetch --------------------------------------------------------------------------------------------

    @Test
    void fetchReturnsOnlyTheGivenLanesInIdOrderUpToTheLimits() throws SQLException {
        List<NewMessage> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(message("t", "key-" + (i % 10), "m" + i));
        }
        List<MessageId> appended = appendCommitted(batch.toArray(NewMessage[]::new));
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        int lane = batch.get(0).lane();

        Fetched one = store.fetch(new FetchRequest(List.of(new LaneCursor(lane, 0, 1000)), 1000, ReadMark.NONE));
        assertThat(one.messages()).isNotEmpty().allSatisfy(m -> assertThat(m.lane())
                .isEqualTo(lane));
        assertThat(ids(one)).isSorted();
        assertThat(one.complete()).isTrue();
        long last = appended.get(appended.size() - 1).value();
        assertThat(one.readThrough()).as("nothing was cut short").isGreaterThanOrEqualTo(last);

        Fetched seven = store.fetch(new FetchRequest(cursors(a.claims(), 0, 1000), 7, ReadMark.NONE));
        assertThat(ids(seven))
                .as("the oldest ids of all lanes")
                .containsExactlyElementsOf(
                        appended.subList(0, 7).stream().map(MessageId::value).toList());
        assertThat(seven.readThrough()).isEqualTo(appended.get(6).value());

        Fetched perLane = store.fetch(new FetchRequest(List.of(new LaneCursor(lane, 0, 2)), 1000, ReadMark.NONE));
        assertThat(perLane.messages()).hasSize(2);
        assertThat(store.fetch(new FetchRequest(List.of(), 10, ReadMark.NONE)).messages())
                .isEmpty();
        Fetched watched = store.fetch(new FetchRequest(List.of(new LaneCursor(lane, 0, 0)), 10, ReadMark.NONE));
        assertThat(watched.messages()).as("a lane only watched is not read").isEmpty();
    }

    @Test
    void eachLaneIsReadAfterItsPosition() throws SQLException {
        NewMessage a1 = message("t", "k", "a1");
        NewMessage a2 = message("t", "k", "a2");
        NewMessage a3 = message("t", "k", "a3");
        List<MessageId> ids = appendCommitted(a1, a2, a3);
        store.heartbeat("relay-a", LEASE);

        Fetched f = store.fetch(
                new FetchRequest(List.of(new LaneCursor(a1.lane(), ids.get(0).value(), 1000)), 1000, ReadMark.NONE));
        assertThat(ids(f)).containsExactly(ids.get(1).value(), ids.get(2).value());
        Fetched none = store.fetch(
                new FetchRequest(List.of(new LaneCursor(a1.lane(), ids.get(2).value(), 1000)), 1000, f.mark()));
        assertThat(none.messages()).isEmpty();
        assertThat(none.readThrough()).isGreaterThanOrEqualTo(ids.get(2).value());
    }

    /**
     * The gap: a transaction takes a lower id and commits after another one with a higher id of the same lane was read.
     * The next fetch from the mark of that read returns it, as a late message, though the lane's position is past it.
     */
    @Test
    void aTransactionThatCommitsAfterALaterOneWasReadIsFoundAsLate() throws SQLException {
        NewMessage early = message("t", "k", "early");
        NewMessage later = message("t", "k", "later");
        NewMessage other = message("t", "other-key", "other");
        store.heartbeat("relay-a", LEASE);
        try (Connection first = transaction()) {
            MessageId earlyId = store.append(first, List.of(early)).get(0);
            MessageId laterId = appendCommitted(later).get(0);
            assertThat(earlyId.value()).isLessThan(laterId.value());

            List<LaneCursor> lanes = List.of(new LaneCursor(early.lane(), 0, 1000));
            Fetched read = store.fetch(new FetchRequest(lanes, 1000, ReadMark.NONE));
            assertThat(ids(read)).containsExactly(laterId.value());
            long position = Math.max(laterId.value(), read.readThrough());

            first.commit();
            List<LaneCursor> next = List.of(new LaneCursor(early.lane(), position, 1000));
            Fetched late = store.fetch(new FetchRequest(next, 1000, read.mark()));
            assertThat(ids(late)).as("the late message, below the position").containsExactly(earlyId.value());
            assertThat(late.complete()).isTrue();

            // A lane only watched (stopped, or waiting out a backoff) reports its late messages too.
            Fetched watched = store.fetch(
                    new FetchRequest(List.of(new LaneCursor(early.lane(), position, 0)), 1000, read.mark()));
            assertThat(ids(watched)).containsExactly(earlyId.value());

            // Nothing is late for a fetch from a mark taken after the commit, nor for a lane not in the request.
            assertThat(store.fetch(new FetchRequest(next, 1000, late.mark())).messages())
                    .isEmpty();
            if (other.lane() != early.lane()) {
                Fetched elsewhere = store.fetch(
                        new FetchRequest(List.of(new LaneCursor(other.lane(), position, 1000)), 1000, read.mark()));
                assertThat(elsewhere.messages()).isEmpty();
            }
        }
    }

    @Test
    void aLateTransactionThatRollsBackLeavesNothingLate() throws SQLException {
        NewMessage early = message("t", "k", "early");
        NewMessage later = message("t", "k", "later");
        store.heartbeat("relay-a", LEASE);
        try (Connection first = transaction()) {
            store.append(first, List.of(early));
            MessageId laterId = appendCommitted(later).get(0);
            List<LaneCursor> lanes = List.of(new LaneCursor(early.lane(), 0, 1000));
            Fetched read = store.fetch(new FetchRequest(lanes, 1000, ReadMark.NONE));
            assertThat(ids(read)).containsExactly(laterId.value());

            first.rollback();
            List<LaneCursor> next = List.of(new LaneCursor(early.lane(), laterId.value(), 1000));
            assertThat(store.fetch(new FetchRequest(next, 1000, read.mark())).messages())
                    .isEmpty();
        }
    }

    @Test
    void aReplayedMessageIsLateForARelayThatReadPastIt() throws SQLException {
        NewMessage poison = message("t", "k", "poison");
        NewMessage next = message("t", "k", "next");
        List<MessageId> ids = appendCommitted(poison, next);
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        LaneClaim claim = claimOf(a, poison.lane());
        StoredMessage head = fetchAll(a).get(0);
        store.stop("relay-a", claim, head, "too large");
        store.skip(poison.lane());

        List<LaneCursor> lanes = List.of(new LaneCursor(poison.lane(), 0, 1000));
        Fetched read = store.fetch(new FetchRequest(lanes, 1000, ReadMark.NONE));
        assertThat(ids(read)).containsExactly(ids.get(1).value());
        assertThat(store.replay(ids.get(0))).isTrue();

        List<LaneCursor> after =
                List.of(new LaneCursor(poison.lane(), ids.get(1).value(), 1000));
        assertThat(ids(store.fetch(new FetchRequest(after, 1000, read.mark()))))
                .containsExactly(ids.get(0).value());
    }

    @Test
    void backlogCountsFromEachLanesPositionUpToItsCap() throws SQLException {
        NewMessage a1 = message("t", "k", "a1");
        List<MessageId> ids = appendCommitted(a1, message("t", "k", "a2"), message("t", "k", "a3"));
        LaneAssignment a = store.heartbeat("relay-a", LEASE);

        List<LaneBacklog> all = store.backlog(List.of(new LaneCursor(a1.lane(), 0, 100)));
        assertThat(all).singleElement().satisfies(b -> {
            assertThat(b.lane()).isEqualTo(a1.lane());
            assertThat(b.waiting()).isEqualTo(3);
            assertThat(b.capped()).isFalse();
            assertThat(b.oldestCreatedAt()).isPresent();
            assertThat(b.stopped()).isFalse();
        });
        assertThat(store.backlog(List.of(new LaneCursor(a1.lane(), ids.get(0).value(), 100))))
                .singleElement()
                .satisfies(b -> assertThat(b.waiting()).isEqualTo(2));
        assertThat(store.backlog(List.of(new LaneCursor(a1.lane(), 0, 2))))
                .singleElement()
                .satisfies(b -> {
                    assertThat(b.waiting()).isEqualTo(2);
                    assertThat(b.capped()).isTrue();
                });

        store.stop("relay-a", claimOf(a, a1.lane()), fetchAll(a).get(0), "why");
        int empty = (a1.lane() + 1) % LANES;
        assertThat(store.backlog(List.of(new LaneCursor(a1.lane(), 0, 100), new LaneCursor(empty, 0, 100))))
                .satisfiesExactlyInAnyOrder(b -> assertThat(b.stopped()).isTrue(), b -> {
                    assertThat(b.lane()).isEqualTo(empty);
                    assertThat(b.waiting()).isZero();
                    assertThat(b.oldestCreatedAt()).isEmpty();
                });
    }

    // --- leases and fencing ------------------------------------------------------------------------------------

    @Test
    void aLoneRelayClaimsEveryLane() {
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        assertThat(a.claims()).extracting(LaneClaim::lane).containsExactlyInAnyOrderElementsOf(range(LANES));
        assertThat(a.fairShare()).isEqualTo(LANES);
        assertThat(a.liveRelays()).isEqualTo(1);
    }

    @Test
    void twoRelaysShareTheLanesFairlyOnceTheSurplusIsReleased() {
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        LaneAssignment b = store.heartbeat("relay-b", LEASE);
        assertThat(b.claims()).isEmpty(); // a holds every lane under a live lease
        assertThat(b.fairShare()).isEqualTo(LANES / 2);

        a = store.heartbeat("relay-a", LEASE);
        assertThat(a.fairShare()).isEqualTo(LANES / 2);
        List<Integer> surplus = a.claims().stream()
                .map(LaneClaim::lane)
                .limit(a.claims().size() - a.fairShare())
                .toList();
        store.release("relay-a", surplus);

        b = store.heartbeat("relay-b", LEASE);
        a = store.heartbeat("relay-a", LEASE);
        Set<Integer> lanesA = a.claims().stream().map(LaneClaim::lane).collect(Collectors.toSet());
        Set<Integer> lanesB = b.claims().stream().map(LaneClaim::lane).collect(Collectors.toSet());
        assertThat(lanesA).hasSize(LANES / 2).doesNotContainAnyElementsOf(lanesB);
        assertThat(lanesB).hasSize(LANES / 2);
    }

    @Test
    void aLeavingRelaysLanesAreClaimedByAnotherUnderANewEpoch() {
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        store.leave("relay-a");
        LaneAssignment b = store.heartbeat("relay-b", LEASE);
        assertThat(b.claims()).hasSize(LANES);
        for (LaneClaim c : b.claims()) {
            assertThat(c.epoch()).isGreaterThan(claimOf(a, c.lane()).epoch());
        }
    }

    @Test
    void anExpiredLeaseIsTakenOver() {
        LaneAssignment a = store.heartbeat("relay-a", Duration.ofMillis(1));
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> store.heartbeat("relay-b", LEASE).claims().size() == LANES);
        LaneAssignment b = store.heartbeat("relay-b", LEASE);
        assertThat(claimOf(b, 0).epoch()).isGreaterThan(claimOf(a, 0).epoch());
    }

    @Test
    void acknowledgeDeletesOnlyUnderTheCurrentEpoch() throws SQLException {
        List<MessageId> ids = appendCommitted(message("t", "k1", "a"), message("t", "k2", "b"));
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        store.leave("relay-a");
        LaneAssignment b = store.heartbeat("relay-b", LEASE);

        assertThat(store.acknowledge("relay-a", a.claims(), ids)).isZero();
        assertThat(fetchAll(b)).hasSize(2);

        assertThat(store.acknowledge("relay-b", b.claims(), ids)).isEqualTo(2);
        assertThat(fetchAll(b)).isEmpty();
    }

    // --- failures, stops and operators ---------------------------------------------------------------------------

    @Test
    void recordFailureCountsAttemptsAndIsFenced() throws SQLException {
        NewMessage m = message("t", "k", "x");
        MessageId id = appendCommitted(m).get(0);
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        store.recordFailure("relay-a", claimOf(a, m.lane()), id, "boom");
        store.recordFailure("relay-a", claimOf(a, m.lane()), id, "boom again");
        assertThat(fetchAll(a).get(0).attempts()).isEqualTo(2);

        store.recordFailure("relay-x", claimOf(a, m.lane()), id, "not mine");
        assertThat(fetchAll(a).get(0).attempts()).isEqualTo(2);
    }

    @Test
    void stopRestartSkipAndReplay() throws SQLException {
        NewMessage poison = message("t", "k", "poison");
        NewMessage next = message("t", "k", "next");
        List<MessageId> ids = appendCommitted(poison, next);
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        LaneClaim claim = claimOf(a, poison.lane());
        StoredMessage head = fetchAll(a).get(0);

        Optional<StoppedLane> stopped = store.stop("relay-a", claim, head, "too large");
        assertThat(stopped).isPresent();
        assertThat(stopped.get().lane()).isEqualTo(poison.lane());
        assertThat(stopped.get().messageId()).isEqualTo(ids.get(0));
        assertThat(stopped.get().reason()).isEqualTo("too large");
        assertThat(store.stoppedLanes()).containsExactly(stopped.get());
        assertThat(claimOf(store.heartbeat("relay-a", LEASE), poison.lane()).stopped())
                .isTrue();
        assertThat(store.stop("relay-a", claim, head, "again")).isEmpty();

        long generation =
                claimOf(store.heartbeat("relay-a", LEASE), poison.lane()).generation();
        Optional<StoppedLane> restarted = store.restart(poison.lane());
        assertThat(restarted).isPresent();
        LaneClaim afterRestart = claimOf(store.heartbeat("relay-a", LEASE), poison.lane());
        assertThat(afterRestart.stopped()).isFalse();
        assertThat(afterRestart.generation())
                .as("a restart raises the generation")
                .isGreaterThan(generation);
        assertThat(store.stoppedLanes()).isEmpty();
        assertThat(fetchAll(a).get(0).attempts()).isZero();
        assertThat(store.restart(poison.lane())).isEmpty();

        store.stop("relay-a", claim, fetchAll(a).get(0), "still too large");
        Optional<ParkedMessage> parked = store.skip(poison.lane());
        assertThat(parked).isPresent();
        assertThat(claimOf(store.heartbeat("relay-a", LEASE), poison.lane()).generation())
                .as("a skip raises the generation")
                .isGreaterThan(afterRestart.generation());
        assertThat(parked.get().messageId()).isEqualTo(ids.get(0));
        assertThat(store.stoppedLanes()).isEmpty();
        assertThat(fetchAll(a)).extracting(StoredMessage::id).containsExactly(ids.get(1));
        assertThat(store.parked()).extracting(ParkedMessage::messageId).containsExactly(ids.get(0));
        assertThat(store.skip(poison.lane())).isEmpty();

        assertThat(store.replay(ids.get(0))).isTrue();
        assertThat(store.parked()).isEmpty();
        assertThat(fetchAll(a)).extracting(StoredMessage::id).containsExactly(ids.get(0), ids.get(1));
        assertThat(store.replay(ids.get(0))).isFalse();
    }

    @Test
    void stopIsFenced() throws SQLException {
        NewMessage m = message("t", "k", "x");
        appendCommitted(m);
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        StoredMessage head = fetchAll(a).get(0);
        store.leave("relay-a");
        store.heartbeat("relay-b", LEASE);
        assertThat(store.stop("relay-a", claimOf(a, m.lane()), head, "late")).isEmpty();
        assertThat(store.stoppedLanes()).isEmpty();
    }

    @Test
    void statusShowsBacklogOwnerAndStops() throws SQLException {
        NewMessage m = message("t", "k", "x");
        appendCommitted(m, message("t", "k", "y"));
        LaneAssignment a = store.heartbeat("relay-a", LEASE);
        store.stop("relay-a", claimOf(a, m.lane()), fetchAll(a).get(0), "why");

        var lanes = store.status();
        assertThat(lanes).hasSize(LANES);
        var st = lanes.get(m.lane());
        assertThat(st.lane()).isEqualTo(m.lane());
        assertThat(st.backlog()).isEqualTo(2);
        assertThat(st.oldestAge()).isPresent();
        assertThat(st.owner()).contains("relay-a");
        assertThat(st.stopped()).map(StoppedLane::reason).contains("why");
        assertThat(lanes.stream().filter(l -> l.lane() != m.lane()))
                .allSatisfy(l -> assertThat(l.backlog()).isZero());
    }

    @Test
    void headersRoundTripExactly() throws SQLException {
        Message msg = Message.builder("t")
                .key("k")
                .type("T")
                .payload(new byte[] {0, 1, 2, (byte) 255}, "application/octet-stream")
                .headers(Map.of("a", "1", "b", "", "unicode", "żółw"))
                .build();
        appendCommitted(new NewMessage(Lanes.laneOf("t", "k", LANES), msg));
        StoredMessage s = fetchAll(store.heartbeat("relay-a", LEASE)).get(0);
        assertThat(s.headers()).isEqualTo(Map.of("a", "1", "b", "", "unicode", "żółw"));
        assertThat(s.payload()).containsExactly(0, 1, 2, 255);
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }
}
