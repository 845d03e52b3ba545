package dev.outbox.memory;

import dev.outbox.LaneBacklog;
import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import dev.outbox.StoreException;
import dev.outbox.Ticker;
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
import java.lang.reflect.Proxy;
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
 * A {@link MessageStore} in memory, for tests: of code that appends (without a database), and of the relay.
 *
 * <ul>
 *   <li>Transactions: {@link #transaction()} gives a {@link Connection} whose appends become visible when it commits,
 *       in commit order, and vanish when it rolls back or closes without committing. Ids are handed out at append, as
 *       a database sequence does, so a transaction that commits after a later one leaves a message below what a relay
 *       has read: the relay finds it as a <em>late</em> message, as it does on PostgreSQL. Any other open connection
 *       with auto-commit off is taken as a transaction that commits at once.
 *   <li>Lanes are claimed by heartbeat up to a fair share ({@code ceil(lanes / live relays)}); a lane's epoch goes up
 *       every time it changes hands; acknowledge, recordFailure and stop are refused (fenced) unless the caller holds
 *       the lane under the epoch it names. Leases are measured on the store's {@link Ticker}.
 *   <li>Stopping a lane counts the failed attempt that stopped it; restart gives the head a fresh set of attempts;
 *       restart and skip raise the lane's generation; skip parks the head; replay puts a parked message back with its
 *       id.
 * </ul>
 *
 * <p>Test hooks: {@link #seize} hands a lane to another owner (its epoch moves, as when a paused relay loses its
 * lease), {@link #expire} ends a relay's lease, {@link #failNext} makes the next call of an operation throw, {@link
 * #insertRaw} stores a row no appender would write. Thread-safe: every method is synchronized, so calls are atomic.
 */
public final class InMemoryMessageStore implements MessageStore {

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
        /** The commit that made the row visible: rows committed later have higher numbers. */
        long committed;

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
        long generation;
        long expiresAtNanos;
    }

    private record Parked(Row row, ParkedMessage info) {}

    /** The rows a transaction appended and has not committed yet. */
    private static final class Tx {
        final List<Row> rows = new ArrayList<>();
        boolean closed;
    }

    private final int lanes;
    private final Ticker ticker;
    private Clock clock;
    private long nextId = 1;
    private long commits;
    private final TreeMap<Long, Row> rows = new TreeMap<>();
    private final Map<Connection, Tx> transactions = new HashMap<>();
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

    private InMemoryMessageStore(int lanes, Clock clock, Ticker ticker) {
        if (lanes <= 0) {
            throw new IllegalArgumentException("lanes must be positive, was " + lanes);
        }
        this.lanes = lanes;
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
        this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
        for (int i = 0; i < lanes; i++) {
            ownership.put(i, new Ownership());
        }
    }

    /** A store with {@code lanes} lanes, the system clock and {@link Ticker#system()}. */
    public static InMemoryMessageStore create(int lanes) {
        return new InMemoryMessageStore(lanes, Clock.systemUTC(), Ticker.system());
    }

    /**
     * A store with {@code lanes} lanes; {@code clock} stamps createdAt, stoppedAt and parkedAt, {@code ticker} measures
     * leases.
     */
    public static InMemoryMessageStore create(int lanes, Clock clock, Ticker ticker) {
        return new InMemoryMessageStore(lanes, clock, ticker);
    }

    @Override
    public int lanes() {
        return lanes;
    }

    // --- transactions ---------------------------------------------------------------------------------------------

    /**
     * A new transaction: a {@link Connection} with auto-commit off, whose appends become visible on {@link
     * Connection#commit()} and vanish on {@link Connection#rollback()} or on {@link Connection#close()} without a
     * commit. It answers {@code isClosed}, {@code getAutoCommit}, {@code commit}, {@code rollback} and {@code close}; any
     * other call throws {@link UnsupportedOperationException}.
     */
    public synchronized Connection transaction() {
        Tx tx = new Tx();
        Connection c = (Connection) Proxy.newProxyInstance(
                InMemoryMessageStore.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                    switch (m.getName()) {
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "InMemoryMessageStore.transaction[" + (tx.closed ? "closed" : "open") + "]";
                        case "isClosed":
                            synchronized (InMemoryMessageStore.this) {
                                return tx.closed;
                            }
                        case "getAutoCommit":
                            return false;
                        case "commit":
                            end((Connection) proxy, true);
                            return null;
                        case "rollback":
                            end((Connection) proxy, false);
                            return null;
                        case "close":
                            close((Connection) proxy);
                            return null;
                        default:
                            throw new UnsupportedOperationException(
                                    "an in-memory transaction does not support " + m.getName());
                    }
                });
        transactions.put(c, tx);
        return c;
    }

    private synchronized void close(Connection c) {
        Tx tx = transactions.remove(c);
        if (tx != null) {
            tx.closed = true;
            tx.rows.clear();
        }
    }

    private void end(Connection c, boolean commit) throws SQLException {
        List<Row> done;
        synchronized (this) {
            Tx tx = transactions.get(c);
            if (tx == null || tx.closed) {
                throw new SQLException("the transaction is closed");
            }
            done = List.copyOf(tx.rows);
            tx.rows.clear();
            if (commit && !done.isEmpty()) {
                commits++;
                for (Row r : done) {
                    r.committed = commits;
                    rows.put(r.id, r);
                }
            }
        }
        if (commit && !done.isEmpty() && !silent) {
            appendListeners.forEach(Runnable::run);
        }
    }

    // --- the application's side -------------------------------------------------------------------------------

    @Override
    public List<MessageId> append(Connection transaction, List<NewMessage> messages) {
        List<MessageId> ids;
        boolean visible;
        synchronized (this) {
            appendCalls.incrementAndGet();
            maybeFail(Op.APPEND);
            Tx tx = checkTransaction(transaction);
            for (NewMessage m : messages) {
                if (m.lane() >= lanes) {
                    throw new IllegalArgumentException("lane " + m.lane() + " is out of range 0.." + (lanes - 1));
                }
            }
            ids = new ArrayList<>(messages.size());
            Instant now = clock.instant();
            List<Row> added = new ArrayList<>(messages.size());
            for (NewMessage nm : messages) {
                var m = nm.message();
                long id = nextId++;
                added.add(new Row(
                        id, nm.lane(), m.topic(), m.key(), m.type(), m.contentType(), m.headers(), m.payload(), now));
                ids.add(new MessageId(id));
            }
            visible = tx == null;
            if (visible) {
                // Someone else's connection: taken as a transaction that commits at once.
                commits++;
                for (Row r : added) {
                    r.committed = commits;
                    rows.put(r.id, r);
                }
            } else {
                tx.rows.addAll(added);
            }
        }
        if (visible && !silent) {
            appendListeners.forEach(Runnable::run);
        }
        return ids;
    }

    @Override
    public synchronized List<StoredMessage> peek(Connection transaction, int limit) {
        Tx tx = checkTransaction(transaction);
        TreeMap<Long, Row> seen = new TreeMap<>(rows);
        if (tx != null) {
            tx.rows.forEach(r -> seen.put(r.id, r));
        }
        return seen.values().stream().limit(limit).map(Row::toStored).toList();
    }

    /** The store's own transaction behind {@code c}, or null for another connection; refuses what is no transaction. */
    private Tx checkTransaction(Connection c) {
        try {
            if (c == null || c.isClosed()) {
                throw new TransactionRequiredException("the connection is closed: append inside an open transaction");
            }
            if (c.getAutoCommit()) {
                throw new TransactionRequiredException("the connection is in auto-commit mode: append inside the"
                        + " transaction of your business writes, so the message is stored only if they commit");
            }
        } catch (SQLException e) {
            throw new StoreException("could not inspect the connection's transaction state", e);
        }
        return transactions.get(c);
    }

    // --- the relay's side --------------------------------------------------------------------------------------

    @Override
    public synchronized LaneAssignment heartbeat(String relayId, Duration lease) {
        maybeFail(Op.HEARTBEAT);
        long now = ticker.nanoTime();
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
                claims.add(new LaneClaim(lane, o.epoch, stopped.containsKey(lane), o.generation));
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
    public synchronized Fetched fetch(FetchRequest request) {
        fetchCalls.incrementAndGet();
        maybeFail(Op.FETCH);
        TreeMap<Long, StoredMessage> found = new TreeMap<>();
        List<Row> read = new ArrayList<>();
        for (LaneCursor c : request.lanes()) {
            if (c.lane() >= lanes) {
                throw new IllegalArgumentException("lane " + c.lane() + " is out of range 0.." + (lanes - 1));
            }
            if (c.reads()) {
                rows.tailMap(c.after(), false).values().stream()
                        .filter(r -> r.lane == c.lane())
                        .limit(Math.min(c.limit(), request.limit()))
                        .forEach(read::add);
            }
        }
        read.sort((a, b) -> Long.compare(a.id, b.id));
        List<Row> kept = read.subList(0, Math.min(read.size(), request.limit()));
        kept.forEach(r -> found.put(r.id, r.toStored()));
        boolean cut = request.limit() > 0 && kept.size() >= request.limit();
        if (!request.since().isNone()) {
            long since = Long.parseLong(request.since().value());
            Map<Integer, Long> after = new HashMap<>();
            request.lanes().forEach(c -> after.put(c.lane(), c.after()));
            for (Row r : rows.values()) {
                Long position = after.get(r.lane);
                if (position != null && r.id <= position && r.committed > since) {
                    found.putIfAbsent(r.id, r.toStored());
                }
            }
        }
        long readThrough = cut ? kept.get(kept.size() - 1).id : nextId - 1;
        return new Fetched(new ArrayList<>(found.values()), new ReadMark(Long.toString(commits)), readThrough, true);
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
        ownership.get(lane).generation++;
        Row head = rows.get(s.messageId().value());
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
        ownership.get(lane).generation++;
        Row head = rows.remove(s.messageId().value());
        if (head == null) {
            // The head went meanwhile (replayed elsewhere); the lane is restarted all the same.
            return Optional.of(
                    new ParkedMessage(s.messageId(), lane, s.topic(), "(gone)", s.reason(), clock.instant()));
        }
        ParkedMessage info =
                new ParkedMessage(new MessageId(head.id), lane, head.topic, head.type, s.reason(), clock.instant());
        parked.put(head.id, new Parked(head, info));
        return Optional.of(info);
    }

    @Override
    public synchronized List<ParkedMessage> parked() {
        return parked.values().stream().map(Parked::info).toList();
    }

    @Override
    public boolean replay(MessageId id) {
        synchronized (this) {
            Parked p = parked.remove(id.value());
            if (p == null) {
                return false;
            }
            Row row = p.row();
            row.attempts = 0;
            row.lastError = null;
            // Put back by a transaction of its own: it is late for a relay that read past its id.
            row.committed = ++commits;
            rows.put(id.value(), row);
        }
        appendListeners.forEach(Runnable::run);
        return true;
    }

    @Override
    public synchronized List<LaneStatus> status() {
        Instant now = clock.instant();
        long nanos = ticker.nanoTime();
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
    public synchronized List<LaneBacklog> backlog(List<LaneCursor> cursors) {
        List<LaneBacklog> out = new ArrayList<>(cursors.size());
        for (LaneCursor c : cursors) {
            List<Row> waiting = rows.tailMap(c.after(), false).values().stream()
                    .filter(r -> r.lane == c.lane())
                    .limit(c.limit())
                    .toList();
            out.add(new LaneBacklog(
                    c.lane(),
                    waiting.size(),
                    waiting.size() >= c.limit(),
                    waiting.stream().map(r -> r.createdAt).min(Instant::compareTo),
                    stopped.containsKey(c.lane())));
        }
        return out;
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        appendListeners.add(listener);
        return () -> appendListeners.remove(listener);
    }

    // --- test hooks and inspection -------------------------------------------------------------------------------

    /**
     * Stores a committed row without any of the appender's validation, as a row written by hand in SQL or by another
     * program would be.
     *
     * @return its id
     */
    public synchronized long insertRaw(int lane, String topic, String type, String contentType, byte[] payload) {
        long id = nextId++;
        Row row = new Row(id, lane, topic, null, type, contentType, Map.of(), payload, clock.instant());
        row.committed = ++commits;
        rows.put(id, row);
        return id;
    }

    /** Hands {@code lane} to {@code newOwner} for a minute: its epoch moves on, so the old owner's writes are fenced. */
    public synchronized void seize(int lane, String newOwner) {
        Ownership o = ownership.get(lane);
        o.owner = newOwner;
        o.epoch++;
        o.expiresAtNanos = ticker.nanoTime() + Duration.ofMinutes(1).toNanos();
    }

    /** Ends {@code relayId}'s lease at once, as if it had died: its lanes are free to claim. */
    public synchronized void expire(String relayId) {
        long now = ticker.nanoTime();
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

    /** Changes the clock that stamps createdAt, stoppedAt and parkedAt. */
    public synchronized void clock(Clock clock) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
    }

    /** Ids of the committed messages waiting, in id order. */
    public synchronized List<Long> waitingIds() {
        return List.copyOf(rows.keySet());
    }

    /** The committed waiting message with that id, if any. */
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
        return o.owner != null && o.expiresAtNanos - ticker.nanoTime() > 0 ? Optional.of(o.owner) : Optional.empty();
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
