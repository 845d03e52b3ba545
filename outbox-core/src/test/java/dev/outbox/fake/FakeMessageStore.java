package dev.outbox.fake;

import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import dev.outbox.StoreException;
import dev.outbox.TransactionRequiredException;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.NewMessage;
import dev.outbox.spi.StoredMessage;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory {@link MessageStore} that keeps the SPI's contract, for fast tests of the relay and the appender.
 *
 * <ul>
 *   <li>Appends are visible at once (there is no transaction to commit) but refuse a closed or auto-commit connection,
 *       as a real store does.
 *   <li>Lanes are claimed by heartbeat up to a fair share ({@code ceil(lanes / live relays)}); a lane's epoch goes up
 *       every time it changes hands; acknowledge, recordFailure and stop are refused (fenced) unless the caller holds
 *       the lane under the epoch it names.
 *   <li>Stopping a lane counts the failed attempt that stopped it; restart gives the head a fresh set of attempts;
 *       skip parks the head; replay puts a parked message back with its id.
 * </ul>
 *
 * <p>Test hooks: {@link #seize} hands a lane to another owner (the epoch moves, as when a paused relay loses its
 * lease), {@link #expire} ends a relay's lease, {@link #failNext} makes the next call of an operation throw. Every
 * method is synchronized: thread-safe, and calls are atomic.
 */
public final class FakeMessageStore implements MessageStore {

    /** Operations {@link #failNext} can make fail. */
    public enum Op {
        APPEND,
        HEARTBEAT,
        FETCH,
        ACKNOWLEDGE,
        RECORD_FAILURE,
        STOP,
        RELEASE,
        LEAVE
    }

    private static final class Row {
        final long id;
        final int lane;
        final String topic;
        final String key;
        final String type;
        final String contentType;
        final Map<String, String> headers;
        final byte[] payload;
        final Instant createdAt;
        int attempts;
        String lastError;

        Row(
                long id,
                int lane,
                String topic,
                String key,
                String type,
                String contentType,
                Map<String, String> headers,
                byte[] payload,
                Instant createdAt) {
            this.id = id;
            this.lane = lane;
            this.topic = topic;
            this.key = key;
            this.type = type;
            this.contentType = contentType;
            this.headers = headers;
            this.payload = payload;
            this.createdAt = createdAt;
        }

        Row(long id, int lane, NewMessage m, Instant createdAt) {
            this(
                    id,
                    lane,
                    m.message().topic(),
                    m.message().key(),
                    m.message().type(),
                    m.message().contentType(),
                    m.message().headers(),
                    m.message().payload(),
                    createdAt);
        }

        StoredMessage toStored() {
            return new StoredMessage(
                    new MessageId(id),
                    lane,
                    topic,
                    key,
                    type,
                    contentType,
                    headers,
                    payload.clone(),
                    createdAt,
                    attempts);
        }
    }

    private static final class Ownership {
        String owner;
        long epoch;
        long expiresAtNanos;
    }

    private record Parked(Row row, ParkedMessage info) {}

    private final int lanes;
    private Clock clock;
    private long nextId = 1;
    private final TreeMap<Long, Row> rows = new TreeMap<>();
    private final Map<Integer, Ownership> ownership = new HashMap<>();
    private final Map<String, Long> relayExpiresAt = new HashMap<>();
    private final TreeMap<Integer, StoppedLane> stopped = new TreeMap<>();
    private final Map<Long, Parked> parked = new LinkedHashMap<>();
    private final Map<Op, Deque<RuntimeException>> failures = new EnumMap<>(Op.class);
    private final List<Runnable> appendListeners = new CopyOnWriteArrayList<>();
    private final List<String> leaves = new ArrayList<>();
    private final List<List<Integer>> releases = new ArrayList<>();
    private final AtomicInteger appendCalls = new AtomicInteger();
    private final AtomicInteger fetchCalls = new AtomicInteger();
    private volatile boolean silent;
    private int refusedAcknowledgements;
    private int refusedWrites;

    /** A store with {@code lanes} lanes and the system clock. */
    public FakeMessageStore(int lanes) {
        this(lanes, Clock.systemUTC());
    }

    /** A store with {@code lanes} lanes; {@code clock} stamps createdAt, stoppedAt and parkedAt. */
    public FakeMessageStore(int lanes, Clock clock) {
        if (lanes <= 0) {
            throw new IllegalArgumentException("lanes must be positive");
        }
        this.lanes = lanes;
        this.clock = clock;
        for (int i = 0; i < lanes; i++) {
            ownership.put(i, new Ownership());
        }
    }

    @Override
    public int lanes() {
        return lanes;
    }

    // --- the application's side -------------------------------------------------------------------------------

    @Override
    public synchronized List<MessageId> append(Connection transaction, List<NewMessage> messages) {
        appendCalls.incrementAndGet();
        maybeFail(Op.APPEND);
        checkTransaction(transaction);
        for (NewMessage m : messages) {
            if (m.lane() >= lanes) {
                throw new StoreException("lane " + m.lane() + " out of range", null);
            }
        }
        List<MessageId> ids = new ArrayList<>(messages.size());
        Instant now = clock.instant();
        for (NewMessage m : messages) {
            long id = nextId++;
            rows.put(id, new Row(id, m.lane(), m, now));
            ids.add(new MessageId(id));
        }
        if (!silent) {
            appendListeners.forEach(Runnable::run);
        }
        return ids;
    }

    @Override
    public synchronized List<StoredMessage> peek(Connection transaction, int limit) {
        checkTransaction(transaction);
        return rows.values().stream().limit(limit).map(Row::toStored).toList();
    }

    private static void checkTransaction(Connection transaction) {
        try {
            if (transaction == null || transaction.isClosed()) {
                throw new TransactionRequiredException("the connection is closed");
            }
            if (transaction.getAutoCommit()) {
                throw new TransactionRequiredException("the connection is in auto-commit mode");
            }
        } catch (SQLException e) {
            throw new StoreException("could not inspect the connection", e);
        }
    }

    // --- the relay's side --------------------------------------------------------------------------------------

    @Override
    public synchronized LaneAssignment heartbeat(String relayId, Duration lease) {
        maybeFail(Op.HEARTBEAT);
        long now = System.nanoTime();
        long until = now + lease.toNanos();
        relayExpiresAt.put(relayId, until);
        relayExpiresAt.values().removeIf(t -> t - now <= 0);
        int live = relayExpiresAt.size();
        int fairShare = (lanes + live - 1) / live;
        int held = 0;
        for (Ownership o : ownership.values()) {
            if (relayId.equals(o.owner) && o.expiresAtNanos - now > 0) {
                o.expiresAtNanos = until;
                held++;
            }
        }
        for (int lane = 0; lane < lanes && held < fairShare; lane++) {
            Ownership o = ownership.get(lane);
            if (o.owner == null || o.expiresAtNanos - now <= 0) {
                o.owner = relayId;
                o.epoch++;
                o.expiresAtNanos = until;
                held++;
            }
        }
        return new LaneAssignment(claimsOf(relayId, now), fairShare, live);
    }

    private List<LaneClaim> claimsOf(String relayId, long now) {
        List<LaneClaim> claims = new ArrayList<>();
        for (int lane = 0; lane < lanes; lane++) {
            Ownership o = ownership.get(lane);
            if (relayId.equals(o.owner) && o.expiresAtNanos - now > 0) {
                claims.add(new LaneClaim(lane, o.epoch, stopped.containsKey(lane)));
            }
        }
        return claims;
    }

    @Override
    public synchronized void release(String relayId, Collection<Integer> released) {
        maybeFail(Op.RELEASE);
        releases.add(List.copyOf(released));
        for (int lane : released) {
            Ownership o = ownership.get(lane);
            if (o != null && relayId.equals(o.owner)) {
                o.owner = null;
            }
        }
    }

    @Override
    public synchronized void leave(String relayId) {
        maybeFail(Op.LEAVE);
        leaves.add(relayId);
        relayExpiresAt.remove(relayId);
        for (Ownership o : ownership.values()) {
            if (relayId.equals(o.owner)) {
                o.owner = null;
            }
        }
    }

    @Override
    public synchronized List<StoredMessage> fetch(Collection<LaneClaim> claims, int limit) {
        fetchCalls.incrementAndGet();
        maybeFail(Op.FETCH);
        java.util.Set<Integer> wanted = new java.util.HashSet<>();
        claims.forEach(c -> wanted.add(c.lane()));
        return rows.values().stream()
                .filter(r -> wanted.contains(r.lane))
                .limit(limit)
                .map(Row::toStored)
                .toList();
    }

    private boolean holds(String relayId, LaneClaim claim) {
        Ownership o = ownership.get(claim.lane());
        return o != null && relayId.equals(o.owner) && o.epoch == claim.epoch();
    }

    @Override
    public synchronized int acknowledge(String relayId, Collection<LaneClaim> claims, Collection<MessageId> ids) {
        maybeFail(Op.ACKNOWLEDGE);
        Map<Integer, LaneClaim> byLane = new HashMap<>();
        claims.forEach(c -> byLane.put(c.lane(), c));
        int done = 0;
        for (MessageId id : ids) {
            Row row = rows.get(id.value());
            if (row == null) {
                continue;
            }
            LaneClaim claim = byLane.get(row.lane);
            if (claim == null || !holds(relayId, claim)) {
                refusedAcknowledgements++;
                continue;
            }
            rows.remove(id.value());
            done++;
        }
        return done;
    }

    @Override
    public synchronized void recordFailure(String relayId, LaneClaim claim, MessageId id, String error) {
        maybeFail(Op.RECORD_FAILURE);
        Row row = rows.get(id.value());
        if (row == null || row.lane != claim.lane() || !holds(relayId, claim)) {
            refusedWrites++;
            return;
        }
        row.attempts++;
        row.lastError = error;
    }

    @Override
    public synchronized Optional<StoppedLane> stop(String relayId, LaneClaim claim, StoredMessage head, String reason) {
        maybeFail(Op.STOP);
        Row row = rows.get(head.id().value());
        if (row == null || row.lane != claim.lane() || !holds(relayId, claim)) {
            refusedWrites++;
            return Optional.empty();
        }
        if (stopped.containsKey(claim.lane())) {
            return Optional.empty();
        }
        // The failure that stops the lane is an attempt too.
        row.attempts++;
        row.lastError = reason;
        StoppedLane s = new StoppedLane(claim.lane(), head.id(), row.topic, reason, row.attempts, clock.instant());
        stopped.put(claim.lane(), s);
        return Optional.of(s);
    }

    // --- the operator's side -----------------------------------------------------------------------------------

    @Override
    public synchronized List<StoppedLane> stoppedLanes() {
        return List.copyOf(stopped.values());
    }

    @Override
    public synchronized Optional<StoppedLane> restart(int lane) {
        StoppedLane s = stopped.remove(lane);
        if (s == null) {
            return Optional.empty();
        }
        Row head = head(lane);
        if (head != null) {
            head.attempts = 0;
        }
        return Optional.of(s);
    }

    @Override
    public synchronized Optional<ParkedMessage> skip(int lane) {
        StoppedLane s = stopped.remove(lane);
        if (s == null) {
            return Optional.empty();
        }
        Row head = head(lane);
        if (head == null) {
            return Optional.empty();
        }
        rows.remove(head.id);
        ParkedMessage info =
                new ParkedMessage(new MessageId(head.id), lane, head.topic, head.type, s.reason(), clock.instant());
        parked.put(head.id, new Parked(head, info));
        return Optional.of(info);
    }

    private Row head(int lane) {
        return rows.values().stream().filter(r -> r.lane == lane).findFirst().orElse(null);
    }

    @Override
    public synchronized List<ParkedMessage> parked() {
        return parked.values().stream().map(Parked::info).toList();
    }

    @Override
    public synchronized boolean replay(MessageId id) {
        Parked p = parked.remove(id.value());
        if (p == null) {
            return false;
        }
        p.row().attempts = 0;
        rows.put(id.value(), p.row());
        appendListeners.forEach(Runnable::run);
        return true;
    }

    @Override
    public synchronized List<LaneStatus> status() {
        Instant now = clock.instant();
        long nanos = System.nanoTime();
        List<LaneStatus> all = new ArrayList<>();
        for (int lane = 0; lane < lanes; lane++) {
            int l = lane;
            List<Row> waiting = rows.values().stream().filter(r -> r.lane == l).toList();
            Optional<Duration> age =
                    waiting.isEmpty() ? Optional.empty() : Optional.of(Duration.between(waiting.get(0).createdAt, now));
            Ownership o = ownership.get(lane);
            Optional<String> owner =
                    o.owner != null && o.expiresAtNanos - nanos > 0 ? Optional.of(o.owner) : Optional.empty();
            all.add(new LaneStatus(lane, waiting.size(), age, owner, Optional.ofNullable(stopped.get(lane))));
        }
        return all;
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        appendListeners.add(listener);
        return () -> appendListeners.remove(listener);
    }

    // --- test hooks and inspection -------------------------------------------------------------------------------

    /**
     * Stores a row without any of the appender's validation, as a row written by hand in SQL or by another program
     * would be.
     *
     * @return its id
     */
    public synchronized long insertRaw(int lane, String topic, String type, String contentType, byte[] payload) {
        long id = nextId++;
        rows.put(id, new Row(id, lane, topic, null, type, contentType, Map.of(), payload, clock.instant()));
        return id;
    }

    /** Hands {@code lane} to {@code newOwner} for a minute: its epoch moves on, so the old owner's writes are fenced. */
    public synchronized void seize(int lane, String newOwner) {
        Ownership o = ownership.get(lane);
        o.owner = newOwner;
        o.epoch++;
        o.expiresAtNanos = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    }

    /** Ends {@code relayId}'s lease at once, as if it had died: its lanes are free to claim. */
    public synchronized void expire(String relayId) {
        long now = System.nanoTime();
        relayExpiresAt.remove(relayId);
        for (Ownership o : ownership.values()) {
            if (relayId.equals(o.owner)) {
                o.expiresAtNanos = now;
            }
        }
    }

    /** The next call of {@code op} throws {@code error} (queued: several calls fail in turn). */
    public synchronized void failNext(Op op, RuntimeException error) {
        failures.computeIfAbsent(op, k -> new ArrayDeque<>()).add(error);
    }

    private void maybeFail(Op op) {
        Deque<RuntimeException> queue = failures.get(op);
        if (queue != null && !queue.isEmpty()) {
            throw queue.poll();
        }
    }

    /** Changes the clock (for ages); the fake reads it on every call. */
    public synchronized void clock(Clock clock) {
        this.clock = clock;
    }

    /** Ids of the messages waiting, in id order. */
    public synchronized List<Long> waitingIds() {
        return List.copyOf(rows.keySet());
    }

    /** The waiting message with that id, if any. */
    public synchronized Optional<StoredMessage> find(long id) {
        return Optional.ofNullable(rows.get(id)).map(Row::toStored);
    }

    /** The last error recorded for a waiting message. */
    public synchronized Optional<String> lastError(long id) {
        return Optional.ofNullable(rows.get(id)).map(r -> r.lastError);
    }

    /** The owner of a lane now, if its lease runs. */
    public synchronized Optional<String> owner(int lane) {
        Ownership o = ownership.get(lane);
        return o.owner != null && o.expiresAtNanos - System.nanoTime() > 0 ? Optional.of(o.owner) : Optional.empty();
    }

    /** The epoch of a lane. */
    public synchronized long epoch(int lane) {
        return ownership.get(lane).epoch;
    }

    /** Relay ids that called {@link #leave}, in call order. */
    public synchronized List<String> leaves() {
        return List.copyOf(leaves);
    }

    /** Lanes given up with {@link #release}, one list per call. */
    public synchronized List<List<Integer>> releases() {
        return List.copyOf(releases);
    }

    /** Ids offered to {@link #acknowledge} that were refused by fencing. */
    public synchronized int refusedAcknowledgements() {
        return refusedAcknowledgements;
    }

    /** recordFailure and stop calls refused by fencing. */
    public synchronized int refusedWrites() {
        return refusedWrites;
    }

    /** How many times {@link #append} was called (refused calls included). */
    public int appendCalls() {
        return appendCalls.get();
    }

    /** How many times {@link #fetch} was called. */
    public int fetchCalls() {
        return fetchCalls.get();
    }

    /** Stops (or resumes) telling {@link #onAppend} listeners of appends, as a store without wake-ups would. */
    public void silent(boolean silent) {
        this.silent = silent;
    }

    /** How many {@link #onAppend} listeners are registered and not closed. */
    public int appendListeners() {
        return appendListeners.size();
    }
}
