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
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.StoredMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay engine.
 *
 * <p>Threads, each named after the relay: the relay loop (runs rounds), the heartbeat (renews and rebalances lane
 * claims, so a slow round never costs the lease) and maintenance (lag check, purge). The heartbeat thread owns the
 * lane assignment and publishes it through a volatile field; the round lock owns the per-lane retry state, so {@link
 * #drainNow()} and the loop never run a round at the same time.
 */
public final class DefaultRelay implements Relay {
    private static final Logger log = LoggerFactory.getLogger(DefaultRelay.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final RelaySettings s;
    private final ReentrantLock roundLock = new ReentrantLock();
    private final Semaphore wake = new Semaphore(0);
    private final Object lifecycle = new Object();
    /** Serialises heartbeats and releases, the two writers of {@link #held}. */
    private final ReentrantLock claimLock = new ReentrantLock();

    /** Written by whoever heartbeats (heartbeat thread, or drainNow before start); read by rounds. */
    private volatile Held held = Held.NONE;

    // Guarded by roundLock.
    private final Map<Integer, LaneRetry> retries = new HashMap<>();
    /** Lanes this relay stopped, with when (System.nanoTime): until a later heartbeat sees the stop, trust this. */
    private final Map<Integer, Long> stoppedHere = new HashMap<>();
    /** Lanes this relay restarted, with when: heartbeats taken before that still show them stopped. */
    private final Map<Integer, Long> resumedHere = new HashMap<>();
    /** Lanes seen stopped by the last round, so that a lane seen running again is reported as restarted. */
    private Set<Integer> knownStopped = Set.of();

    // Guarded by lifecycle.
    private boolean started;
    private boolean closed;
    private Thread loop;
    private ScheduledExecutorService heartbeats;
    private ScheduledExecutorService maintenance;
    private AutoCloseable appendSubscription;
    private volatile boolean running;

    public DefaultRelay(RelaySettings settings) {
        this.s = settings;
    }

    /** The claims the relay holds, and until when (System.nanoTime) it may trust them without a new heartbeat. */
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
            appendSubscription = s.store().onAppend(wake::release);
            loop = new Thread(this::runLoop, "outbox-relay-" + s.relayId());
            loop.setDaemon(true);
            loop.start();
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
        Thread loopThread;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
            loopThread = loop;
        }
        wake.release();
        if (loopThread != null) {
            try {
                loopThread.join(CLOSE_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (loopThread.isAlive()) {
                log.warn("relay {} loop did not stop within {}; interrupting it", s.relayId(), CLOSE_WAIT);
                loopThread.interrupt();
            }
        }
        shutdown(heartbeats, "heartbeat");
        shutdown(maintenance, "maintenance");
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

    private java.util.concurrent.ThreadFactory named(String role) {
        return r -> {
            Thread t = new Thread(r, "outbox-relay-" + s.relayId() + "-" + role);
            t.setDaemon(true);
            return t;
        };
    }

    private void shutdown(ScheduledExecutorService executor, String role) {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("relay {}: {} thread did not stop within {}", s.relayId(), role, CLOSE_WAIT);
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
        return resume(lane, () -> s.store().restart(lane));
    }

    @Override
    public ParkedMessage skip(int lane) {
        return resume(lane, () -> s.store().skip(lane));
    }

    /**
     * Runs an operator action that restarts a lane under the round lock, so no round can notice the restart first
     * and report it a second time.
     */
    private <T> T resume(int lane, java.util.function.Supplier<Optional<T>> action) {
        checkLane(lane);
        T result;
        roundLock.lock();
        try {
            result = action.get().orElseThrow(() -> new IllegalArgumentException("lane " + lane + " is not stopped"));
            stoppedHere.remove(lane);
            resumedHere.put(lane, System.nanoTime());
            retries.remove(lane);
            Set<Integer> known = new HashSet<>(knownStopped);
            known.remove(lane);
            knownStopped = Set.copyOf(known);
        } finally {
            roundLock.unlock();
        }
        log.info("relay {}: lane {} restarted", s.relayId(), lane);
        notifyMonitor(() -> s.monitor().laneRestarted(lane));
        safeHeartbeat();
        wake.release();
        return result;
    }

    private void checkLane(int lane) {
        if (lane < 0 || lane >= s.store().lanes()) {
            throw new IllegalArgumentException("lane " + lane + " does not exist: lanes are 0 to "
                    + (s.store().lanes() - 1));
        }
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
            s.listener().lanesOwned(assignment.claims().size());
            wake.release();
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

    // --- the loop ------------------------------------------------------------------------------------------------

    private void runLoop() {
        int consecutiveErrors = 0;
        while (running) {
            long waitNanos;
            try {
                Round r = runRound();
                consecutiveErrors = 0;
                if (r.fullBatch()) {
                    continue;
                }
                waitNanos = Math.min(s.frequency().toNanos(), r.nextRetryInNanos());
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

    @Override
    public DrainResult drainNow() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("relay " + s.relayId() + " is closed");
            }
        }
        long published = 0;
        int rounds = 0;
        while (true) {
            if (!running) {
                heartbeat();
            }
            Round r = runRound();
            rounds++;
            published += r.published();
            if (r.fetched() == 0 || (r.published() == 0 && r.failed() > 0)) {
                break;
            }
        }
        return new DrainResult(published, rounds, s.store().stoppedLanes());
    }

    private record Round(int fetched, int published, int failed, boolean fullBatch, long nextRetryInNanos) {}

    private Round runRound() {
        roundLock.lock();
        try {
            return round();
        } finally {
            roundLock.unlock();
        }
    }

    private Round round() {
        long began = System.nanoTime();
        Held snapshot = held;
        List<LaneClaim> claims = snapshot.claims();
        noticeRestarts(claims, snapshot.takenAtNanos());

        // Lanes whose head failed wait out their backoff, then send only the head until it goes through.
        List<LaneClaim> eligible = new ArrayList<>(claims.size());
        long nextRetry = Long.MAX_VALUE;
        for (LaneClaim c : claims) {
            if (c.stopped() || stoppedHere.containsKey(c.lane())) {
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
        if (eligible.isEmpty()) {
            releaseSurplus();
            return new Round(0, 0, 0, false, nextRetry);
        }

        List<StoredMessage> fetched = s.store().fetch(eligible, s.batchSize());
        List<StoredMessage> toSend = new ArrayList<>(fetched.size());
        Set<Integer> probed = new HashSet<>();
        for (StoredMessage m : fetched) {
            // A lane retrying its head sends only the head, so at most one message of it is in flight.
            if (!retries.containsKey(m.lane()) || probed.add(m.lane())) {
                toSend.add(m);
            }
        }

        List<OutgoingMessage> outgoing = new ArrayList<>(toSend.size());
        for (StoredMessage m : toSend) {
            outgoing.add(toOutgoing(m));
        }
        List<OutboxException> results = publish(outgoing);

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
            if (error == null) {
                acked.add(m.id());
                retries.remove(m.lane());
                s.listener()
                        .published(
                                outgoing.get(i),
                                Duration.ofMillis(
                                        Math.max(0, now - m.createdAt().toEpochMilli())));
            } else {
                failedAt.put(m.lane(), i);
                failed++;
                s.listener().publishFailed(outgoing.get(i), error);
            }
        }

        Map<Integer, LaneClaim> claimByLane = new HashMap<>();
        eligible.forEach(c -> claimByLane.put(c.lane(), c));
        int published = acked.isEmpty() ? 0 : s.store().acknowledge(s.relayId(), eligible, acked);
        if (published < acked.size()) {
            log.warn(
                    "relay {}: {} of {} published messages were not acknowledged in the store: their lanes moved to"
                            + " another relay, which will publish them again",
                    s.relayId(),
                    acked.size() - published,
                    acked.size());
        }

        for (Map.Entry<Integer, Integer> e : failedAt.entrySet()) {
            StoredMessage head = toSend.get(e.getValue());
            laneFailed(claimByLane.get(e.getKey()), head, results.get(e.getValue()), began);
        }
        releaseSurplus();

        Duration elapsed = Duration.ofNanos(System.nanoTime() - began);
        s.listener().roundCompleted(fetched.size(), published, failed, elapsed);
        long retryIn = Long.MAX_VALUE;
        for (LaneRetry r : retries.values()) {
            retryIn = Math.min(retryIn, Math.max(0, r.retryAtNanos - System.nanoTime()));
        }
        boolean full = fetched.size() >= s.batchSize() && failed == 0;
        return new Round(fetched.size(), published, failed, full, Math.min(retryIn, nextRetry));
    }

    private OutgoingMessage toOutgoing(StoredMessage m) {
        Envelope envelope = new Envelope(
                m.id(), s.source(), m.topic(), m.key(), m.type(), m.contentType(), m.createdAt(), m.headers());
        return new OutgoingMessage(envelope, m.payload(), m.lane());
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
        try {
            f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return null;
        } catch (TimeoutException e) {
            return new RetriableException("not acknowledged by the broker within " + s.publishTimeout(), e);
        } catch (ExecutionException | CompletionException e) {
            return classify(e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new RetriableException("interrupted while waiting for the broker", e);
        } catch (RuntimeException e) {
            return classify(e);
        }
    }

    private static OutboxException classify(Throwable t) {
        if (t instanceof OutboxException o) {
            return o;
        }
        return new RetriableException(String.valueOf(t), t);
    }

    private void laneFailed(LaneClaim claim, StoredMessage head, OutboxException error, long now) {
        int attempts = head.attempts() + 1;
        String reason = describe(error);
        boolean fatal = !error.isRetriable() || error instanceof FatalException;
        if (fatal || attempts >= s.maxAttempts()) {
            String why = (fatal ? "fatal: " : "failed " + attempts + " times: ") + reason;
            var stopped = s.store().stop(s.relayId(), claim, head, why);
            retries.remove(claim.lane());
            if (stopped.isPresent()) {
                stoppedHere.put(claim.lane(), System.nanoTime());
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

    private static String describe(OutboxException error) {
        String text = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        return text.length() > 2000 ? text.substring(0, 2000) : text;
    }

    /**
     * Reconciles the lanes this relay stopped with what the heartbeat saw, and reports lanes seen running again after
     * being seen stopped (restarted by an operator, possibly from another process).
     */
    private void noticeRestarts(List<LaneClaim> claims, long heartbeatTakenAt) {
        Set<Integer> nowStopped = new HashSet<>();
        for (LaneClaim c : claims) {
            Long stoppedAt = stoppedHere.get(c.lane());
            if (stoppedAt != null && heartbeatTakenAt - stoppedAt < 0) {
                // The heartbeat predates this relay's stop: it cannot know of it yet.
                nowStopped.add(c.lane());
                continue;
            }
            Long resumedAt = resumedHere.get(c.lane());
            if (resumedAt != null && heartbeatTakenAt - resumedAt < 0) {
                continue; // likewise for this relay's restart
            }
            stoppedHere.remove(c.lane());
            resumedHere.remove(c.lane());
            if (c.stopped()) {
                nowStopped.add(c.lane());
            } else if (knownStopped.contains(c.lane())) {
                retries.remove(c.lane());
                log.info("relay {}: lane {} runs again", s.relayId(), c.lane());
                notifyMonitor(() -> s.monitor().laneRestarted(c.lane()));
            }
        }
        knownStopped = Set.copyOf(nowStopped);
    }

    private void releaseSurplus() {
        claimLock.lock();
        try {
            releaseSurplusLocked();
        } finally {
            claimLock.unlock();
        }
    }

    private void releaseSurplusLocked() {
        LaneAssignment a = held.assignment();
        int surplus = a.claims().size() - a.fairShare();
        if (surplus <= 0 || a.fairShare() == 0) {
            return;
        }
        // Release the highest lanes: between rounds, nothing of theirs is in flight.
        List<LaneClaim> sorted = new ArrayList<>(a.claims());
        sorted.sort((x, y) -> Integer.compare(y.lane(), x.lane()));
        List<Integer> give = new ArrayList<>();
        for (int i = 0; i < surplus; i++) {
            give.add(sorted.get(i).lane());
        }
        s.store().release(s.relayId(), give);
        List<LaneClaim> keep = new ArrayList<>(a.claims());
        keep.removeIf(c -> give.contains(c.lane()));
        Held current = held;
        held = new Held(
                new LaneAssignment(keep, a.fairShare(), a.liveRelays()),
                current.takenAtNanos(),
                current.validUntilNanos());
        give.forEach(retries::remove);
        log.info("relay {} released {} lanes to other relays, keeps {}", s.relayId(), give.size(), keep.size());
        s.listener().lanesOwned(keep.size());
    }

    private void notifyMonitor(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("relay {}: a PartitionMonitor failed", s.relayId(), e);
        }
    }
}
