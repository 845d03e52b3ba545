package dev.outbox.internal;

import dev.outbox.DrainResult;
import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.ParkedMessage;
import dev.outbox.Relay;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.ReadMark;
import dev.outbox.spi.StoredMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay engine.
 *
 * <p>Threads, each named after the relay: one round loop per {@link Worker} (each runs the rounds of its own share of
 * the lanes, so that one round's fetch and delete overlap another's wait for acknowledgements), the heartbeat (renews
 * and rebalances lane claims, so a slow round never costs the lease) and maintenance (lag check, purge). The heartbeat
 * thread owns the lane assignment and publishes it through a volatile field; each worker's lock owns the retry and stop
 * state of its lanes, so {@link #drainNow()} and a loop never run the same worker's round at the same time.
 *
 * <p>Whether a lane is stopped comes from two sources that disagree for a while: the claims of the last heartbeat
 * (which may predate a stop or restart) and what this relay did itself since. Each piece of knowledge carries the
 * time it was learnt, and the newer one wins, so a stale heartbeat never revives a lane this relay just stopped.
 */
public final class DefaultRelay implements Relay {
    private static final Logger log = LoggerFactory.getLogger(DefaultRelay.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /** How often a wait for acknowledgements looks up to see whether the relay is closing. */
    private static final long CLOSE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /**
     * The first wait after a round that published; the waits grow with the time since (doubling while rounds find
     * nothing), up to the frequency.
     */
    private static final long FIRST_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final RelaySettings s;
    private final Worker[] workers;
    private final Object lifecycle = new Object();
    /** Serialises heartbeats and releases, the two writers of {@link #held}. */
    private final ReentrantLock claimLock = new ReentrantLock();

    /** Written by whoever heartbeats (heartbeat thread, or drainNow before start); read by rounds. */
    private volatile Held held = Held.NONE;

    /**
     * Lanes restarted or skipped through this relay, with the time the store confirmed it; applied by the next round,
     * so an operator's call never waits for a round in progress.
     */
    private final ConcurrentHashMap<Integer, Long> resumed = new ConcurrentHashMap<>();

    // Guarded by lifecycle.
    private boolean started;
    private boolean closed;
    private final List<Thread> loops = new ArrayList<>();
    private ScheduledExecutorService heartbeats;
    private ScheduledExecutorService maintenance;
    private AutoCloseable appendSubscription;
    /**
     * When a round last published (System.nanoTime), whichever worker ran it: a worker whose round found nothing waits
     * as long as has passed since, up to the frequency.
     */
    private volatile long lastPublishedNanos;

    /** True between start and close: the loops and the heartbeat thread run. */
    private volatile boolean running;
    /** Set once by close: waits for acknowledgements give up, so close need not wait out the publish timeout. */
    private volatile boolean closing;
    /** Every thread the relay started, joined by close. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    public DefaultRelay(RelaySettings settings) {
        this.s = settings;
        this.lastPublishedNanos = System.nanoTime() - settings.frequency().toNanos();
        this.workers = new Worker[settings.concurrency()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
        }
    }

    /**
     * The claims the relay holds, when the heartbeat that returned them was sent, and until when (all System.nanoTime)
     * it may trust them without a new heartbeat.
     */
    private record Held(LaneAssignment assignment, long takenAtNanos, long validUntilNanos) {
        static final Held NONE = new Held(new LaneAssignment(List.of(), 0, 0), Long.MIN_VALUE, Long.MIN_VALUE);

        List<LaneClaim> claims() {
            return System.nanoTime() - validUntilNanos < 0 ? assignment.claims() : List.of();
        }
    }

    /** Retry state of a lane whose head failed. */
    private static final class LaneRetry {
        long retryAtNanos;
    }

    /**
     * Whether a lane is stopped, as this relay last learnt it, and when (System.nanoTime). {@code confirmed}: the store
     * said so (a heartbeat, or a stop it accepted), so that a later restart is worth telling the monitor about.
     */
    private record LaneState(boolean stopped, long sinceNanos, boolean confirmed) {}

    /** A publish abandoned because the relay is closing: not the broker's fault, so it counts as no attempt. */
    private static final class Abandoned extends RetriableException {
        Abandoned(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // --- lifecycle ------------------------------------------------------------------------------------------------

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("relay " + s.relayId() + " is closed; build a new one");
            }
            if (started) {
                throw new IllegalStateException("relay " + s.relayId() + " is already started");
            }
            heartbeat();
            started = true;
            running = true;
            heartbeats = Executors.newSingleThreadScheduledExecutor(named("heartbeat"));
            maintenance = Executors.newSingleThreadScheduledExecutor(named("maintenance"));
            heartbeats.scheduleWithFixedDelay(
                    this::safeHeartbeat, s.heartbeat().toNanos(), s.heartbeat().toNanos(), TimeUnit.NANOSECONDS);
            maintenance.scheduleWithFixedDelay(
                    this::maintenance,
                    s.maintenanceInterval().toNanos(),
                    s.maintenanceInterval().toNanos(),
                    TimeUnit.NANOSECONDS);
            appendSubscription = s.store().onAppend(this::wakeAll);
            for (Worker w : workers) {
                Thread t = named(workers.length == 1 ? "" : "rounds-" + w.index).newThread(w::runLoop);
                loops.add(t);
                t.start();
            }
            log.info(
                    "relay {} started for source {}: {} of {} lanes",
                    s.relayId(),
                    s.source(),
                    held.assignment().claims().size(),
                    s.store().lanes());
        }
    }

    @Override
    public void close() {
        List<Thread> loopThreads;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
            closing = true;
            loopThreads = List.copyOf(loops);
        }
        wakeAll();
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        for (Thread loopThread : loopThreads) {
            if (loopThread == Thread.currentThread()) {
                continue;
            }
            join(loopThread, deadline);
            if (loopThread.isAlive()) {
                log.warn("relay {}: {} did not stop within {}; interrupting it", s.relayId(), loopThread, CLOSE_WAIT);
                loopThread.interrupt();
                join(loopThread, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            }
        }
        shutdown(heartbeats, "heartbeat", deadline);
        shutdown(maintenance, "maintenance", deadline);
        // An executor reports termination just before its worker thread ends: join them, so that no thread of this
        // relay is alive once close returns.
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                join(t, deadline);
            }
        }
        if (appendSubscription != null) {
            try {
                appendSubscription.close();
            } catch (Exception e) {
                log.warn("relay {}: closing the wake-up subscription failed", s.relayId(), e);
            }
        }
        held = Held.NONE;
        try {
            s.store().leave(s.relayId());
        } catch (RuntimeException e) {
            log.warn("relay {}: could not give its lanes back (they move when the lease ends)", s.relayId(), e);
        }
        log.info("relay {} closed", s.relayId());
    }

    private ThreadFactory named(String role) {
        String name = "outbox-relay-" + s.relayId() + (role.isEmpty() ? "" : "-" + role);
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
    }

    private void shutdown(ScheduledExecutorService executor, String role, long deadline) {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("relay {}: {} thread did not stop within {}", s.relayId(), role, CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t, long deadline) {
        try {
            long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (wait > 0) {
                t.join(wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String id() {
        return s.relayId();
    }

    @Override
    public Set<Integer> ownedLanes() {
        Set<Integer> lanes = new TreeSet<>();
        held.claims().forEach(c -> lanes.add(c.lane()));
        return lanes;
    }

    // --- operator actions ----------------------------------------------------------------------------------------

    @Override
    public List<StoppedLane> stoppedLanes() {
        return s.store().stoppedLanes();
    }

    @Override
    public StoppedLane restart(int lane) {
        checkLane(lane);
        StoppedLane stopped = s.store()
                .restart(lane)
                .orElseThrow(() -> new IllegalArgumentException("lane " + lane + " is not stopped"));
        laneResumed(lane);
        return stopped;
    }

    @Override
    public ParkedMessage skip(int lane) {
        checkLane(lane);
        ParkedMessage parked = s.store()
                .skip(lane)
                .orElseThrow(() -> new IllegalArgumentException("lane " + lane + " is not stopped"));
        laneResumed(lane);
        return parked;
    }

    private void checkLane(int lane) {
        if (lane < 0 || lane >= s.store().lanes()) {
            throw new IllegalArgumentException("lane " + lane + " does not exist: lanes are 0 to "
                    + (s.store().lanes() - 1));
        }
    }

    private void laneResumed(int lane) {
        // Taken after the store confirmed the restart: a heartbeat sent later sees the lane running.
        resumed.merge(lane, System.nanoTime(), (a, b) -> b - a > 0 ? b : a);
        log.info("relay {}: lane {} restarted", s.relayId(), lane);
        notifyMonitor(() -> s.monitor().laneRestarted(lane));
        // Only a running relay heartbeats here: a relay built just to run an operator's command must not claim lanes
        // that the working relays would then wait a lease for.
        if (running) {
            safeHeartbeat();
        }
        wakeAll();
    }

    // --- heartbeat and maintenance -------------------------------------------------------------------------------

    private void heartbeat() {
        claimLock.lock();
        try {
            heartbeatLocked();
        } finally {
            claimLock.unlock();
        }
    }

    private void heartbeatLocked() {
        long startedAt = System.nanoTime();
        LaneAssignment assignment = s.store().heartbeat(s.relayId(), s.lease());
        // Trust the claims a little less than the lease, measured from before the heartbeat was sent, so this relay
        // stops publishing a lane before another relay can claim it.
        long validUntil = startedAt + s.lease().toNanos() - s.heartbeat().toNanos();
        Held before = held;
        held = new Held(assignment, startedAt, validUntil);
        if (!sameLanes(before.assignment(), assignment)) {
            log.info(
                    "relay {} holds {} lanes (fair share {}, {} relays alive)",
                    s.relayId(),
                    assignment.claims().size(),
                    assignment.fairShare(),
                    assignment.liveRelays());
            tellListener(() -> s.listener().lanesOwned(assignment.claims().size()));
            wakeAll();
        }
    }

    private static boolean sameLanes(LaneAssignment a, LaneAssignment b) {
        return a.claims().equals(b.claims());
    }

    private void safeHeartbeat() {
        try {
            heartbeat();
        } catch (RuntimeException e) {
            log.warn("relay {}: heartbeat failed; the lanes held stay valid until their lease ends", s.relayId(), e);
        }
    }

    private void maintenance() {
        try {
            Set<Integer> mine = ownedLanes();
            for (LaneStatus st : s.store().status()) {
                if (mine.contains(st.lane())
                        && st.stopped().isEmpty()
                        && st.oldestAge().isPresent()
                        && st.oldestAge().get().compareTo(s.lagThreshold()) > 0) {
                    Duration age = st.oldestAge().get();
                    notifyMonitor(() -> s.monitor().laneBehind(st.lane(), age));
                }
            }
            int purged;
            int rounds = 0;
            do {
                purged = s.store().purgeSent(10_000);
            } while (purged == 10_000 && ++rounds < 10 && running);
        } catch (RuntimeException e) {
            log.warn("relay {}: maintenance failed", s.relayId(), e);
        }
    }

    // --- the rounds ----------------------------------------------------------------------------------------------

    /** The worker whose rounds carry {@code lane}, for the relay's life. */
    private int workerOf(int lane) {
        return lane % workers.length;
    }

    private void wakeAll() {
        for (Worker w : workers) {
            w.wake.release();
        }
    }

    @Override
    public DrainResult drainNow() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("relay " + s.relayId() + " is closed");
            }
        }
        long published = 0;
        int rounds = 0;
        boolean[] done = new boolean[workers.length];
        boolean progress = true;
        while (progress) {
            progress = false;
            if (!running) {
                heartbeat();
            }
            for (Worker w : workers) {
                if (done[w.index]) {
                    continue;
                }
                Round r = w.runRound();
                rounds++;
                published += r.published();
                // A round that published nothing would be followed by an identical one: what failed waits out its
                // backoff, what was fenced belongs to another relay now.
                if (r.fetched() == 0 || r.published() == 0) {
                    done[w.index] = true;
                } else {
                    progress = true;
                }
            }
        }
        return new DrainResult(published, rounds, s.store().stoppedLanes());
    }

    private record Round(int fetched, int published, int failed, boolean fullBatch, long nextRetryInNanos) {}

    /**
     * Runs the rounds of one share of the lanes: those whose number modulo the concurrency is its index. A lane
     * belongs to one worker for the relay's life, so two rounds never have messages of one lane in flight at once,
     * while one worker's database work overlaps another's wait for acknowledgements.
     *
     * <p>Its lock owns the retry and stop state of its lanes, so {@link #drainNow()} and the loop never run its round
     * at the same time.
     */
    private final class Worker {
        final int index;
        final ReentrantLock lock = new ReentrantLock();
        final Semaphore wake = new Semaphore(0);

        // Guarded by lock.
        private final Map<Integer, LaneRetry> retries = new HashMap<>();
        private final Map<Integer, LaneState> laneStates = new HashMap<>();
        /** Each lane's read position: every message of it up to this id was fetched and published, or is late. */
        private final Map<Integer, Long> positions = new HashMap<>();
        /** The mark of this worker's last fetch, from which the next one looks for late messages. */
        private ReadMark mark = ReadMark.NONE;

        Worker(int index) {
            this.index = index;
        }

        boolean owns(int lane) {
            return workerOf(lane) == index;
        }

        void runLoop() {
            int consecutiveErrors = 0;
            while (running) {
                long waitNanos;
                try {
                    Round r = runRound();
                    consecutiveErrors = 0;
                    // Messages that keep coming are looked for at once rather than after a poll: the wake-up on
                    // commit comes late or not at all when commits are frequent (PostgreSQL delivers its
                    // notifications in bursts then), and it may be switched off. An idle relay backs off to its
                    // frequency. What one worker found says traffic is coming: the others look at once too.
                    if (r.fullBatch() || r.published() > 0) {
                        lastPublishedNanos = System.nanoTime();
                        for (Worker other : workers) {
                            if (other != this) {
                                other.wake.release();
                            }
                        }
                        continue;
                    }
                    long sincePublished = System.nanoTime() - lastPublishedNanos;
                    waitNanos = Math.min(
                            Math.min(s.frequency().toNanos(), Math.max(FIRST_LOOK_NANOS, sincePublished)),
                            r.nextRetryInNanos());
                } catch (RuntimeException e) {
                    consecutiveErrors++;
                    Duration delay = s.backoff().delay(consecutiveErrors);
                    log.warn(
                            "relay {}: round failed ({} in a row), next in {} ms",
                            s.relayId(),
                            consecutiveErrors,
                            delay.toMillis(),
                            e);
                    waitNanos = delay.toNanos();
                }
                try {
                    if (waitNanos > 0 && wake.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
                        wake.drainPermits();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        Round runRound() {
            lock.lock();
            try {
                return round();
            } finally {
                lock.unlock();
            }
        }

        private Round round() {
            long began = System.nanoTime();
            Held h = held;
            List<LaneClaim> claims = new ArrayList<>();
            for (LaneClaim c : h.claims()) {
                if (owns(c.lane())) {
                    claims.add(c);
                }
            }
            applyResumed();
            Set<Integer> stopped = reconcileStops(claims, h.takenAtNanos());

            // Lanes whose head failed wait out their backoff, then send only the head until it goes through.
            List<LaneClaim> eligible = new ArrayList<>(claims.size());
            long nextRetry = Long.MAX_VALUE;
            for (LaneClaim c : claims) {
                if (stopped.contains(c.lane())) {
                    continue;
                }
                LaneRetry retry = retries.get(c.lane());
                if (retry != null) {
                    long wait = retry.retryAtNanos - began;
                    if (wait > 0) {
                        nextRetry = Math.min(nextRetry, wait);
                        continue;
                    }
                }
                eligible.add(c);
            }
            // Lanes that left this worker forget where they were read up to: whoever holds them next reads from the
            // start.
            Set<Integer> ownedNow = new HashSet<>();
            claims.forEach(c -> ownedNow.add(c.lane()));
            positions.keySet().retainAll(ownedNow);
            if (eligible.isEmpty()) {
                releaseSurplus(this);
                return new Round(0, 0, 0, false, nextRetry);
            }

            Set<Integer> eligibleLanes = new HashSet<>();
            eligible.forEach(c -> eligibleLanes.add(c.lane()));
            List<LaneCursor> cursors = new ArrayList<>(claims.size());
            for (LaneClaim c : claims) {
                int limit = !eligibleLanes.contains(c.lane()) ? 0 : retries.containsKey(c.lane()) ? 1 : s.batchSize();
                cursors.add(new LaneCursor(c.lane(), positions.getOrDefault(c.lane(), 0L), limit));
            }
            Fetched read = s.store().fetch(new FetchRequest(cursors, s.batchSize(), mark));
            mark = read.mark();
            if (!read.complete()) {
                // Late messages were left out: read every lane again from its start; ids already sent are deleted
                // once acknowledged, so nothing is published twice by this.
                positions.clear();
            }
            List<StoredMessage> fetched = read.messages();
            List<StoredMessage> toSend = new ArrayList<>(fetched.size());
            Set<Integer> probed = new HashSet<>();
            Map<Integer, Long> sentTop = new HashMap<>();
            for (StoredMessage m : fetched) {
                long position = positions.getOrDefault(m.lane(), 0L);
                boolean send = eligibleLanes.contains(m.lane())
                        // A lane retrying its head sends only the head, so at most one message of it is in flight.
                        && (!retries.containsKey(m.lane()) || probed.add(m.lane()));
                if (send) {
                    toSend.add(m);
                    sentTop.merge(m.lane(), m.id().value(), Math::max);
                } else if (m.id().value() <= position) {
                    // A late message of a lane that is not sending now: read it again once the lane sends.
                    positions.put(m.lane(), m.id().value() - 1);
                }
            }

            List<OutgoingMessage> outgoing = new ArrayList<>(toSend.size());
            List<OutboxException> refused = new ArrayList<>(toSend.size());
            List<OutgoingMessage> publishable = new ArrayList<>(toSend.size());
            Map<Integer, OutboxException> blocked = new HashMap<>();
            for (StoredMessage m : toSend) {
                OutgoingMessage o = null;
                OutboxException error = blocked.get(m.lane());
                if (error == null) {
                    try {
                        o = toOutgoing(m);
                        publishable.add(o);
                    } catch (OutboxException e) {
                        // A row no envelope can carry (written around the appender) is a poison message: it stops
                        // its own lane, instead of failing every round of every lane; the lane's later messages
                        // stay back.
                        error = new FatalException("message " + m.id() + " cannot be sent: " + e.getMessage(), e);
                        blocked.put(m.lane(), error);
                    }
                }
                outgoing.add(o);
                refused.add(error);
            }
            List<OutboxException> sentResults = publish(publishable);
            List<OutboxException> results = new ArrayList<>(toSend.size());
            int next = 0;
            for (int i = 0; i < toSend.size(); i++) {
                results.add(refused.get(i) != null ? refused.get(i) : sentResults.get(next++));
            }

            List<MessageId> acked = new ArrayList<>(toSend.size());
            Map<Integer, Integer> failedAt = new HashMap<>();
            int failed = 0;
            long now = s.clock().millis();
            for (int i = 0; i < toSend.size(); i++) {
                StoredMessage m = toSend.get(i);
                if (failedAt.containsKey(m.lane())) {
                    continue; // an earlier message of this lane failed: this one waits for it
                }
                OutboxException error = results.get(i);
                OutgoingMessage sent = outgoing.get(i);
                if (error == null) {
                    acked.add(m.id());
                    retries.remove(m.lane());
                    Duration age =
                            Duration.ofMillis(Math.max(0, now - m.createdAt().toEpochMilli()));
                    tellListener(() -> s.listener().published(sent, age));
                } else {
                    failedAt.put(m.lane(), i);
                    if (!(error instanceof Abandoned)) {
                        failed++;
                        if (sent != null) {
                            tellListener(() -> s.listener().publishFailed(sent, error));
                        }
                    }
                }
            }

            // Where each lane that sent is read up to now: just before its first failure (it and the later ones are
            // read again), else past what it sent.
            for (Map.Entry<Integer, Long> e : sentTop.entrySet()) {
                int lane = e.getKey();
                Integer failedIndex = failedAt.get(lane);
                long position = positions.getOrDefault(lane, 0L);
                if (failedIndex != null) {
                    positions.put(
                            lane,
                            Math.min(position, toSend.get(failedIndex).id().value() - 1));
                } else {
                    positions.put(lane, Math.max(position, e.getValue()));
                }
            }
            // A lane read for the first time that has nothing moves past what the store read through, so that its
            // next reads do not walk again the rows its previous owner deleted. A lane with a position keeps it: its
            // messages still in progress are read after it when they commit, rather than found late.
            for (LaneClaim c : eligible) {
                if (!sentTop.containsKey(c.lane())
                        && !retries.containsKey(c.lane())
                        && !positions.containsKey(c.lane())) {
                    positions.put(c.lane(), read.readThrough());
                }
            }

            Map<Integer, LaneClaim> claimByLane = new HashMap<>();
            eligible.forEach(c -> claimByLane.put(c.lane(), c));
            int published = acked.isEmpty() ? 0 : s.store().acknowledge(s.relayId(), eligible, acked);
            if (published < acked.size()) {
                log.warn(
                        "relay {}: {} of {} published messages were not acknowledged in the store: their lanes moved"
                                + " to another relay, which will publish them again",
                        s.relayId(),
                        acked.size() - published,
                        acked.size());
                // Learn at once which lanes moved, rather than publish them again until the next heartbeat.
                if (running) {
                    safeHeartbeat();
                }
            }

            for (Map.Entry<Integer, Integer> e : failedAt.entrySet()) {
                StoredMessage head = toSend.get(e.getValue());
                laneFailed(claimByLane.get(e.getKey()), head, results.get(e.getValue()), began);
            }
            releaseSurplus(this);

            Duration elapsed = Duration.ofNanos(System.nanoTime() - began);
            int fetchedCount = fetched.size();
            int publishedCount = published;
            int failedCount = failed;
            tellListener(() -> s.listener().roundCompleted(fetchedCount, publishedCount, failedCount, elapsed));
            long retryIn = Long.MAX_VALUE;
            for (LaneRetry r : retries.values()) {
                retryIn = Math.min(retryIn, Math.max(0, r.retryAtNanos - System.nanoTime()));
            }
            boolean full = fetched.size() >= s.batchSize() && failed == 0;
            return new Round(fetched.size(), published, failed, full, Math.min(retryIn, nextRetry));
        }

        private void laneFailed(LaneClaim claim, StoredMessage head, OutboxException error, long now) {
            if (error instanceof Abandoned) {
                // Not an attempt: the message is published again by whoever holds the lane next.
                return;
            }
            int attempts = head.attempts() + 1;
            String reason = describe(error);
            boolean fatal = !error.isRetriable() || error instanceof FatalException;
            if (fatal || attempts >= s.maxAttempts()) {
                String why = (fatal ? "fatal: " : "failed " + attempts + " times: ") + reason;
                var stopped = s.store().stop(s.relayId(), claim, head, why);
                retries.remove(claim.lane());
                // Taken after the store answered: a heartbeat sent later knows the stop. An empty answer means the
                // lane was stopped already or has moved; either way this relay must not publish it on the claims it
                // has.
                laneStates.put(claim.lane(), new LaneState(true, System.nanoTime(), stopped.isPresent()));
                if (stopped.isPresent()) {
                    log.warn("relay {}: lane {} stopped at message {} ({})", s.relayId(), claim.lane(), head.id(), why);
                    notifyMonitor(() -> s.monitor().laneStopped(stopped.get()));
                }
                return;
            }
            s.store().recordFailure(s.relayId(), claim, head.id(), reason);
            LaneRetry retry = retries.computeIfAbsent(claim.lane(), k -> new LaneRetry());
            retry.retryAtNanos = now + s.backoff().delay(attempts).toNanos();
            log.debug(
                    "relay {}: lane {} message {} failed (attempt {}): {}",
                    s.relayId(),
                    claim.lane(),
                    head.id(),
                    attempts,
                    reason);
        }

        /** Applies restarts and skips of this worker's lanes made through this relay since its last round. */
        private void applyResumed() {
            for (Map.Entry<Integer, Long> e : resumed.entrySet()) {
                int lane = e.getKey();
                long at = e.getValue();
                if (owns(lane) && resumed.remove(lane, at)) {
                    LaneState known = laneStates.get(lane);
                    if (known == null || at - known.sinceNanos() > 0) {
                        laneStates.put(lane, new LaneState(false, at, true));
                        retries.remove(lane);
                    }
                }
            }
        }

        /**
         * Merges the heartbeat's view of stopped lanes, taken at {@code seenAt}, with what this relay learnt since,
         * and returns the lanes to leave alone. A lane the heartbeat reports running after this relay knew it stopped
         * was restarted elsewhere (another relay, a command line): the monitor hears of it.
         */
        private Set<Integer> reconcileStops(List<LaneClaim> claims, long seenAt) {
            Set<Integer> stopped = new HashSet<>();
            for (LaneClaim c : claims) {
                LaneState known = laneStates.get(c.lane());
                if (known == null || seenAt - known.sinceNanos() > 0) {
                    if (known != null && known.stopped() && known.confirmed() && !c.stopped()) {
                        retries.remove(c.lane());
                        log.info("relay {}: lane {} runs again", s.relayId(), c.lane());
                        notifyMonitor(() -> s.monitor().laneRestarted(c.lane()));
                    }
                    known = new LaneState(c.stopped(), seenAt, true);
                    laneStates.put(c.lane(), known);
                }
                if (known.stopped()) {
                    stopped.add(c.lane());
                }
            }
            return stopped;
        }

        void forget(int lane) {
            retries.remove(lane);
            positions.remove(lane);
        }
    }

    private OutgoingMessage toOutgoing(StoredMessage m) {
        Envelope envelope = new Envelope(
                m.id(), s.source(), m.topic(), m.key(), m.type(), m.contentType(), m.createdAt(), m.headers());
        return new OutgoingMessage(envelope, m.payload(), m.lane(), m.attempts() + 1);
    }

    /** Publishes and waits, bounded; returns null for each acknowledged message and the error for each other. */
    private List<OutboxException> publish(List<OutgoingMessage> outgoing) {
        List<OutboxException> results = new ArrayList<>(outgoing.size());
        if (outgoing.isEmpty()) {
            return results;
        }
        List<CompletableFuture<Void>> futures;
        try {
            futures = s.broker().publish(outgoing);
        } catch (RuntimeException e) {
            OutboxException error = classify(e);
            outgoing.forEach(m -> results.add(error));
            return results;
        }
        if (futures.size() != outgoing.size()) {
            throw new IllegalStateException("broker returned " + futures.size() + " results for " + outgoing.size()
                    + " messages: the Broker contract wants one each");
        }
        long deadline = System.nanoTime() + s.publishTimeout().toNanos();
        for (CompletableFuture<Void> f : futures) {
            results.add(await(f, deadline));
        }
        return results;
    }

    private OutboxException await(CompletableFuture<Void> f, long deadline) {
        // Waits in slices, so that close() is noticed without waiting out the publish timeout.
        while (true) {
            if (closing && !f.isDone()) {
                return new Abandoned("the relay closed before the broker acknowledged", null);
            }
            long remaining = deadline - System.nanoTime();
            try {
                f.get(Math.max(0, Math.min(remaining, CLOSE_CHECK_NANOS)), TimeUnit.NANOSECONDS);
                return null;
            } catch (TimeoutException e) {
                if (remaining <= CLOSE_CHECK_NANOS) {
                    return new RetriableException("not acknowledged by the broker within " + s.publishTimeout(), e);
                }
            } catch (ExecutionException | CompletionException e) {
                return classify(e.getCause() == null ? e : e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Abandoned("interrupted while waiting for the broker", e);
            } catch (RuntimeException e) {
                return classify(e);
            }
        }
    }

    private static OutboxException classify(Throwable t) {
        if (t instanceof OutboxException o) {
            return o;
        }
        return new RetriableException(String.valueOf(t), t);
    }

    private static String describe(OutboxException error) {
        String text = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        return text.length() > 2000 ? text.substring(0, 2000) : text;
    }

    /** Releases the lanes over this relay's fair share that belong to {@code worker}, between two of its rounds. */
    private void releaseSurplus(Worker worker) {
        claimLock.lock();
        try {
            releaseSurplusLocked(worker);
        } finally {
            claimLock.unlock();
        }
    }

    private void releaseSurplusLocked(Worker worker) {
        LaneAssignment a = held.assignment();
        int surplus = a.claims().size() - a.fairShare();
        if (surplus <= 0 || a.fairShare() == 0) {
            return;
        }
        List<Integer> give = new ArrayList<>();
        for (int lane : surplusLanes(a.claims(), surplus)) {
            // Only the worker's own lanes: nothing of them is in flight between its rounds. The others release
            // theirs at the end of their own rounds.
            if (worker.owns(lane)) {
                give.add(lane);
            }
        }
        if (give.isEmpty()) {
            return;
        }
        s.store().release(s.relayId(), give);
        List<LaneClaim> keep = new ArrayList<>(a.claims());
        keep.removeIf(c -> give.contains(c.lane()));
        Held current = held;
        held = new Held(
                new LaneAssignment(keep, a.fairShare(), a.liveRelays()),
                current.takenAtNanos(),
                current.validUntilNanos());
        give.forEach(worker::forget);
        log.info("relay {} released {} lanes to other relays, keeps {}", s.relayId(), give.size(), keep.size());
        tellListener(() -> s.listener().lanesOwned(keep.size()));
    }

    /**
     * The {@code surplus} lanes to give away: the highest ones, taken each time from the worker that holds the most,
     * so the lanes kept stay spread evenly over the workers.
     */
    private List<Integer> surplusLanes(List<LaneClaim> claims, int surplus) {
        List<List<Integer>> byWorker = new ArrayList<>();
        for (int i = 0; i < workers.length; i++) {
            byWorker.add(new ArrayList<>());
        }
        claims.stream()
                .map(LaneClaim::lane)
                .sorted((x, y) -> Integer.compare(y, x))
                .forEach(lane -> byWorker.get(workerOf(lane)).add(lane));
        List<Integer> give = new ArrayList<>(surplus);
        int[] taken = new int[workers.length];
        for (int n = 0; n < surplus; n++) {
            int richest = 0;
            for (int i = 1; i < workers.length; i++) {
                if (byWorker.get(i).size() - taken[i] > byWorker.get(richest).size() - taken[richest]) {
                    richest = i;
                }
            }
            give.add(byWorker.get(richest).get(taken[richest]++));
        }
        return give;
    }

    private void notifyMonitor(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("relay {}: a PartitionMonitor failed", s.relayId(), e);
        }
    }

    /** A failing listener must not fail the round: acknowledged messages would be published again, forever. */
    private void tellListener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("relay {}: a RelayListener failed", s.relayId(), e);
        }
    }
}
