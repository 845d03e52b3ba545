package dev.outbox.internal;

import dev.outbox.FatalException;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.internal.Lane.Mode;
import dev.outbox.internal.Lane.Sent;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.ReadMark;
import dev.outbox.spi.StoredMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one share of the relay's lanes (those whose number modulo the relay's concurrency is its index): reads them
 * from their positions, hands what it read to the broker without waiting for earlier acknowledgements, settles each
 * lane's acknowledgements in the order its messages were sent, and gives acknowledged ones to the {@link Acknowledger}.
 *
 * <p>Order (G3): a lane's messages settle in the order they were sent. The first that fails ends the lane's flight:
 * every later message of the lane in flight is discarded (never acknowledged ahead of it, whatever the broker says of
 * it), the lane's position goes back below them, and the lane backs off, then sends its head alone until the failed
 * message goes through, or stops.
 *
 * <p>One owner: the worker's lock guards its lanes, its read mark and its counts; its loop thread holds it for each step,
 * and so does drainNow. Broker callbacks and the acknowledger only post to its mailbox, which a step applies.
 */
final class Worker {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    /** The shortest wait between two reads that found something without filling a batch. */
    private static final long FIRST_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * How long a lane's oldest message may wait for its acknowledgement before the lane is read no further until it
     * settles: one stuck partition or queue must not fill the worker's flight and stall its other lanes.
     */
    private static final long STALLED_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often the lanes' low-water marks are published for the backlog reading. */
    private static final long LOW_WATER_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A publish given up because the relay is closing: not the broker's fault, so it counts as no attempt. */
    static final class Abandoned extends RetriableException {
        private static final long serialVersionUID = 1L;

        Abandoned(String message) {
            super(message, null);
        }
    }

    /** What one read did, for drainNow: how many messages it fetched and sent, and how many were acknowledged. */
    record Read(int fetched, int sent, long acknowledged) {
        static final Read NOTHING = new Read(0, 0, 0);
    }

    /** Shared by the workers of a relay: when any of them last found messages (ticker time). */
    static final class Activity {
        volatile long lastFoundNanos;
    }

    final int index;
    final ReentrantLock lock = new ReentrantLock();
    private final RelaySettings s;
    private final int shares;
    private final LaneLeases leases;
    private final Acknowledger acknowledger;
    private final Dispatch dispatch;
    private final Activity activity;
    private final Runnable wakeOthers;
    private final int maxInFlight;
    /**
     * The broker publishes each batch exactly once: the next batch is read while one is in flight, and sent once that
     * one is settled and deleted; every lane claimed is taken over from the broker's records before it is read.
     */
    private final boolean transactional;

    private final Semaphore wake = new Semaphore(0);
    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    /**
     * Whether an outcome must wake the loop: when it has nothing else to do soon (no room in flight, a lane waiting
     * for its probe, an idle wait). Otherwise outcomes wait in the mailbox for the next step, so that a batch's thousand
     * acknowledgements cost one step, not a thousand.
     */
    private volatile boolean wantsOutcomes = true;

    private volatile boolean appended;
    private volatile Map<Integer, Long> lowWater = Map.of();

    // Guarded by lock.
    private final Map<Integer, Lane> lanes = new TreeMap<>();
    private ReadMark mark = ReadMark.NONE;
    private long lastFetchNanos;
    private boolean lastFetchFull;
    private long lowWaterAtNanos;
    /** The lanes as they were made from this held assignment: a step with the same one need not look again. */
    private LaneLeases.Held synced;
    /** Messages in flight over all lanes. */
    private int inFlight;
    /** Lanes backing off. */
    private int backingOff;
    /** When the earliest message in flight times out (ticker time), as of the last look. */
    private long nextExpiryNanos;

    private int publishedSinceRead;
    private int failedSinceRead;
    private long acknowledgedTotal;

    Worker(
            int index,
            int shares,
            RelaySettings settings,
            LaneLeases leases,
            Acknowledger acknowledger,
            Activity activity,
            Runnable wakeOthers) {
        this.index = index;
        this.shares = shares;
        this.s = settings;
        this.leases = leases;
        this.acknowledger = acknowledger;
        this.dispatch = new Dispatch(settings);
        this.activity = activity;
        this.wakeOthers = wakeOthers;
        this.transactional = settings.broker().transactional();
        this.maxInFlight = 2 * settings.batchSize();
        this.lastFetchNanos =
                settings.ticker().nanoTime() - settings.frequency().toNanos();
    }

    boolean owns(int lane) {
        return lane % shares == index;
    }

    // --- signals from other threads --------------------------------------------------------------------------------

    /** Wakes the loop: something changed (lanes, an operator's command, close). */
    void wake() {
        wake.release();
    }

    /** A commit appended messages: look at once. */
    void appended() {
        appended = true;
        wake.release();
    }

    /** The acknowledger deleted these: they are no longer worth skipping. */
    void deleted(List<Acknowledger.Acked> acked) {
        post(() -> {
            for (Acknowledger.Acked a : acked) {
                Lane lane = lanes.get(a.claim().lane());
                if (lane != null && lane.claim.epoch() == a.claim().epoch()) {
                    lane.known.remove(a.id().value());
                }
            }
        });
    }

    private void post(Runnable event) {
        mailbox.add(event);
        wake.release();
    }

    /** An outcome of the broker: queued, and wakes the loop only when it waits for one (or for a failure). */
    private void postOutcome(Sent sent, OutboxException error) {
        mailbox.add(() -> settle(sent, error));
        if (error != null || wantsOutcomes) {
            wake.release();
        }
    }

    /** Each lane's low-water mark, published by the loop at most a second ago: for the backlog reading. */
    Map<Integer, Long> lowWater() {
        return lowWater;
    }

    // --- the loop --------------------------------------------------------------------------------------------------

    /**
     * Waits up to {@code nanos} for a signal.
     *
     * @return false if interrupted
     */
    boolean await(long nanos) {
        try {
            if (nanos > 0 && wake.tryAcquire(nanos, TimeUnit.NANOSECONDS)) {
                wake.drainPermits();
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * One step: applies what happened (lanes, acknowledgements, timeouts, backoffs), reads and sends when a read is
     * due, and returns how long to wait for the next step.
     */
    long step(boolean fetching) {
        lock.lock();
        try {
            long now = s.ticker().nanoTime();
            catchUp(now);
            if (transactional) {
                settleTransactional();
            }
            if (fetching && readDue(now)) {
                read(now);
                now = s.ticker().nanoTime();
            }
            publishLowWater(now);
            return fetching ? waitNanos(now) : s.frequency().toNanos();
        } finally {
            lock.unlock();
        }
    }

    /** Everything but reading: the lanes held, the mailbox, timeouts, releases and backoffs. */
    private void catchUp(long now) {
        LaneLeases.Held held = leases.current();
        if (held != synced) {
            syncLanes(held, now);
            synced = held;
        }
        applyMailbox();
        if (inFlight > 0 && now - nextExpiryNanos >= 0) {
            expire(now);
        }
        if (backingOff == 0 && held.releasing().isEmpty()) {
            return;
        }
        List<Integer> release = new ArrayList<>();
        for (Lane lane : List.copyOf(lanes.values())) {
            if (lane.mode == Mode.BACKING_OFF && now - lane.retryAtNanos >= 0) {
                mode(lane, Mode.PROBING);
            }
            if ((lane.mode == Mode.RELEASING || lane.mode == Mode.STOPPED && releasing(lane)) && lane.settled()) {
                release.add(lane.number);
            }
        }
        if (!release.isEmpty()) {
            release.sort(Collections.reverseOrder());
            leases.release(release);
            release.forEach(lanes::remove);
        }
    }

    /** Applies what other threads posted: outcomes, deletions, commands. */
    private void applyMailbox() {
        Runnable event;
        while ((event = mailbox.poll()) != null) {
            event.run();
        }
    }

    private boolean releasing(Lane lane) {
        return leases.current().releasing().contains(lane.number);
    }

    /** Makes the lanes match what the relay holds now. */
    private void syncLanes(LaneLeases.Held held, long now) {
        Map<Integer, LaneClaim> mine = new HashMap<>();
        held.claims().forEach((lane, claim) -> {
            if (owns(lane)) {
                mine.put(lane, claim);
            }
        });
        for (Lane lane : List.copyOf(lanes.values())) {
            LaneClaim claim = mine.get(lane.number);
            if (claim == null || claim.epoch() != lane.claim.epoch()) {
                // Lost (or lost and taken back): whoever holds it now reads it from the start.
                discardInFlight(lane);
                mode(lane, Mode.RELEASING);
                lanes.remove(lane.number);
            }
        }
        for (LaneClaim claim : mine.values()) {
            Lane lane = lanes.get(claim.lane());
            if (lane == null) {
                Lane created = new Lane(claim);
                created.takenOver = !transactional;
                lanes.put(claim.lane(), created);
                continue;
            }
            lane.claim = claim;
            if (claim.stopped() && lane.mode != Mode.STOPPED) {
                discardInFlight(lane);
                mode(lane, Mode.STOPPED);
                lane.stoppedGeneration = claim.generation();
            } else if (!claim.stopped() && lane.mode == Mode.STOPPED && claim.generation() > lane.stoppedGeneration) {
                // Restarted, or its head skipped: the lane is read again from just below its head.
                mode(lane, Mode.RUNNING);
                log.info("relay {}: lane {} runs again", s.relayId(), lane.number);
                Calls.monitor(s, m -> m.laneRestarted(lane.number));
            }
            if (lane.mode != Mode.STOPPED) {
                boolean release = held.releasing().contains(lane.number);
                if (release && lane.mode != Mode.RELEASING) {
                    mode(lane, Mode.RELEASING);
                } else if (!release && lane.mode == Mode.RELEASING) {
                    mode(lane, Mode.RUNNING);
                }
            }
        }
    }

    /** A message not settled within the publish timeout fails retriably (its late answer is ignored). */
    private void expire(long now) {
        long timeout = s.publishTimeout().toNanos();
        long next = now + timeout;
        for (Lane lane : List.copyOf(lanes.values())) {
            Sent head = lane.inFlight.peekFirst();
            if (head != null && !head.done && now - head.sentAtNanos >= timeout) {
                settle(
                        head,
                        new RetriableException("not acknowledged by the broker within " + s.publishTimeout(), null));
                head = lane.inFlight.peekFirst();
            }
            if (head != null && head.sentAtNanos + timeout - next < 0) {
                next = head.sentAtNanos + timeout;
            }
        }
        nextExpiryNanos = next;
    }

    /**
     * For a transactional broker: the lanes just claimed are taken over (what a previous owner published and did not
     * delete is deleted now) before they are read. The batch acknowledged last is deleted by the acknowledger while the
     * next is read, and {@link #read} sends nothing before it is gone, so that at any time a lane has at most one
     * published batch left to delete: the one the broker recorded last.
     */
    private void settleTransactional() {
        List<Lane> fresh = lanes.values().stream().filter(l -> !l.takenOver).toList();
        if (fresh.isEmpty()) {
            return;
        }
        Map<Integer, Set<dev.outbox.MessageId>> published;
        try {
            published = s.broker().takeOver(fresh.stream().map(l -> l.claim).toList());
        } catch (RuntimeException e) {
            log.warn(
                    "relay {}: could not take over {} lanes from the broker's records; trying again",
                    s.relayId(),
                    fresh.size(),
                    e);
            return;
        }
        for (Lane lane : fresh) {
            Set<dev.outbox.MessageId> ids = published.getOrDefault(lane.number, Set.of());
            if (!ids.isEmpty()) {
                int deleted = s.store().acknowledge(s.relayId(), List.of(lane.claim), ids);
                log.info(
                        "relay {}: lane {} taken over; {} of the {} messages its previous owner published were left"
                                + " to delete",
                        s.relayId(),
                        lane.number,
                        deleted,
                        ids.size());
            }
            lane.takenOver = true;
        }
    }

    private boolean readDue(long now) {
        if (!anyReads() || room() <= 0) {
            return false;
        }
        if (inFlight() > 0 && room() < Math.min(s.batchSize(), maxInFlight / 4)) {
            return false; // let acknowledgements make room for a worthwhile read
        }
        return now - nextReadAt(now) >= 0;
    }

    /**
     * When the next read is due: at once after a full batch or a commit's wake-up; otherwise after a wait as long as
     * the last read came after any worker of the relay last found messages (so 1, 2, 4... ms while reads find nothing),
     * at least 1 ms and at most the frequency.
     */
    private long nextReadAt(long now) {
        if (lastFetchFull || appended) {
            return now;
        }
        long sinceFound = lastFetchNanos - activity.lastFoundNanos;
        long wait = Math.min(s.frequency().toNanos(), Math.max(FIRST_LOOK_NANOS, sinceFound));
        return lastFetchNanos + wait;
    }

    private long waitNanos(long now) {
        long wait = s.frequency().toNanos();
        boolean reads = anyReads();
        if (reads && room() > 0) {
            wait = Math.min(wait, nextReadAt(now) - now);
        }
        if (backingOff > 0) {
            for (Lane lane : lanes.values()) {
                if (lane.mode == Mode.BACKING_OFF) {
                    wait = Math.min(wait, lane.retryAtNanos - now);
                }
            }
        }
        if (inFlight > 0) {
            wait = Math.min(wait, nextExpiryNanos - now);
        }
        // Outcomes wake the loop only when it has nothing else to do soon: no room, a lane waiting for its probe, or
        // a long wait; otherwise the next step, within a millisecond or so, applies them all at once.
        wantsOutcomes = !reads || room() <= 0 || wait > FIRST_LOOK_NANOS;
        return Math.max(0, wait);
    }

    private boolean anyReads() {
        for (Lane lane : lanes.values()) {
            if (lane.reads()) {
                return true;
            }
        }
        return false;
    }

    private int inFlight() {
        return inFlight;
    }

    private int room() {
        return maxInFlight - inFlight;
    }

    /** Sets a lane's mode, keeping the count of lanes backing off. */
    private void mode(Lane lane, Mode mode) {
        if (lane.mode == Mode.BACKING_OFF) {
            backingOff--;
        }
        if (mode == Mode.BACKING_OFF) {
            backingOff++;
        }
        lane.mode = mode;
    }

    /** Puts a message in its lane's flight. */
    private void fly(Lane lane, Sent sent) {
        if (inFlight == 0) {
            nextExpiryNanos = sent.sentAtNanos + s.publishTimeout().toNanos();
        }
        lane.inFlight.add(sent);
        lane.known.add(sent.id());
        inFlight++;
    }

    // --- reading and sending ---------------------------------------------------------------------------------------

    /** Reads what the lanes have, and sends what may be sent. */
    private Read read(long now) {
        int limit = Math.min(s.batchSize(), room());
        Set<Integer> read = new HashSet<>();
        appended = false;
        lastFetchNanos = now;
        Fetched fetched = s.store().fetch(new FetchRequest(cursors(limit, now, read), limit, mark));
        if (transactional && !previousBatchDone(now)) {
            // Nothing of this read is used, not even its mark: the next read looks again for what this one found.
            lastFetchFull = false;
            return Read.NOTHING;
        }
        mark = fetched.mark();
        if (!fetched.complete()) {
            // Late messages were left out (a huge transaction committed late). Nothing of this fetch is sent: a message
            // left out may come before one returned in the same lane, and a position moved past what was returned
            // would skip it. Every lane is read again from its start, now; what is in flight or acknowledged is
            // skipped. With no position to look below, that fetch has no late messages to leave out.
            log.info(
                    "relay {}: a transaction that committed late holds more messages than a fetch looks for; reading"
                            + " the worker's {} lanes again from their start",
                    s.relayId(),
                    lanes.size());
            lanes.values().forEach(l -> l.position = 0);
            read.clear();
            fetched = s.store().fetch(new FetchRequest(cursors(limit, now, read), limit, mark));
            mark = fetched.mark();
        }

        Set<Integer> returned = new HashSet<>();
        Set<Integer> blocked = new HashSet<>();
        Set<Integer> probed = new HashSet<>();
        List<Sent> toSend = new ArrayList<>();
        List<Sent> refused = new ArrayList<>();
        for (StoredMessage m : fetched.messages()) {
            Lane lane = lanes.get(m.lane());
            if (lane == null) {
                continue;
            }
            returned.add(lane.number);
            long id = m.id().value();
            if (lane.known.contains(id)) {
                // In flight or acknowledged already (read again after the position went back): not sent twice, and
                // not read again either.
                if (lane.mode == Mode.RUNNING && !blocked.contains(lane.number)) {
                    lane.position = Math.max(lane.position, id);
                }
                continue;
            }
            boolean send = lane.takenOver
                    && !lane.failing
                    && !blocked.contains(lane.number)
                    && (lane.mode == Mode.RUNNING || (lane.mode == Mode.PROBING && probed.add(lane.number)));
            if (!send) {
                if (id <= lane.position) {
                    // A late message of a lane that is not sending now: read it again once the lane sends.
                    lane.rewindTo(id);
                }
                continue;
            }
            OutgoingMessage outgoing;
            try {
                outgoing = dispatch.outgoing(m);
            } catch (OutboxException e) {
                // A row no envelope can carry (written around the appender) is a poison message: it stops its own
                // lane, and the later messages of the lane stay back.
                Sent poison = new Sent(lane, m, null, now);
                fly(lane, poison);
                refused.add(poison);
                blocked.add(lane.number);
                FatalException error =
                        new FatalException("message " + m.id() + " cannot be sent: " + e.getMessage(), e);
                post(() -> settle(poison, error));
                continue;
            }
            Sent sent = new Sent(lane, m, outgoing, now);
            fly(lane, sent);
            lane.position = Math.max(lane.position, id);
            toSend.add(sent);
        }
        // A lane read for the first time that has nothing moves past what the store read through, so that its next
        // reads do not walk again the rows its previous owner deleted. A lane with a position keeps it: its messages
        // still in progress are read after it when they commit, rather than found late.
        // Only a lane this fetch read: one left out (stalled, failing, not taken over yet) says nothing of its rows.
        for (Lane lane : lanes.values()) {
            if (lane.mode == Mode.RUNNING
                    && lane.position == 0
                    && read.contains(lane.number)
                    && !returned.contains(lane.number)) {
                lane.position = fetched.readThrough();
            }
        }

        List<OutgoingMessage> outgoing = new ArrayList<>(toSend.size());
        toSend.forEach(sent -> outgoing.add(sent.outgoing));
        List<CompletableFuture<Void>> futures = dispatch.publish(outgoing);
        for (int i = 0; i < futures.size(); i++) {
            Sent sent = toSend.get(i);
            futures.get(i)
                    .whenComplete((ok, error) -> postOutcome(sent, error == null ? null : Dispatch.classify(error)));
        }

        int count = fetched.messages().size();
        lastFetchFull = count >= limit;
        if (!toSend.isEmpty() || !refused.isEmpty()) {
            activity.lastFoundNanos = now;
            wakeOthers.run();
        }
        int published = publishedSinceRead;
        int failed = failedSinceRead;
        publishedSinceRead = 0;
        failedSinceRead = 0;
        Duration elapsed = Duration.ofNanos(s.ticker().nanoTime() - now);
        Calls.listener(s, l -> l.roundCompleted(count, published, failed, elapsed));
        return new Read(count, toSend.size() + refused.size(), 0);
    }

    /**
     * For a transactional broker, before a read is sent: waits (within the publish timeout) until the batch sent last,
     * whose transaction ran while this read did, is settled and, as far as it was acknowledged, deleted. The broker
     * records the ids of a lane's last batch only, so a batch sent before the previous one is gone could leave, after a
     * crash, rows published that no record names, and the next owner would publish them again.
     *
     * @return false if that does not happen in time (the store failing): the read is not sent
     */
    private boolean previousBatchDone(long now) {
        long deadline = now + s.publishTimeout().toNanos();
        long realDeadline = System.nanoTime() + s.publishTimeout().toNanos();
        wantsOutcomes = true;
        boolean flushed = false;
        while (true) {
            applyMailbox();
            if (lanes.values().stream().allMatch(Lane::settled)) {
                return true;
            }
            if (inFlight == 0 && !flushed) {
                // Settled: delete now rather than after the acknowledger's linger (it may be deleting them already).
                flushed = true;
                acknowledger.flush();
                continue;
            }
            long wait = Math.min(deadline - s.ticker().nanoTime(), realDeadline - System.nanoTime());
            if (wait <= 0 || !await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(10)))) {
                log.debug("relay {}: the last batch is not settled and deleted yet; its next read waits", s.relayId());
                return false;
            }
        }
    }

    /** Where and how much to read of each lane; the lanes read at all go into {@code read}. */
    private List<LaneCursor> cursors(int limit, long now, Set<Integer> read) {
        List<LaneCursor> cursors = new ArrayList<>(lanes.size());
        for (Lane lane : lanes.values()) {
            int laneLimit = !lane.reads() || stalled(lane, now) ? 0 : lane.mode == Mode.RUNNING ? limit : 1;
            cursors.add(new LaneCursor(lane.number, lane.position, laneLimit));
            if (laneLimit > 0) {
                read.add(lane.number);
            }
        }
        return cursors;
    }

    /** Whether the lane's oldest message in flight has waited so long that reading more of the lane would pile up. */
    private static boolean stalled(Lane lane, long now) {
        Sent head = lane.inFlight.peekFirst();
        return head != null && now - head.sentAtNanos > STALLED_NANOS;
    }

    // --- settling --------------------------------------------------------------------------------------------------

    /** A message's outcome: settles its lane's flight in the order it was sent. */
    private void settle(Sent sent, OutboxException error) {
        Lane lane = sent.lane;
        if (sent.done || sent.discarded || lanes.get(lane.number) != lane) {
            return;
        }
        sent.done = true;
        sent.error = error;
        if (error != null) {
            lane.failing = true;
        }
        while (!lane.inFlight.isEmpty() && lane.inFlight.peekFirst().done) {
            Sent head = lane.inFlight.pollFirst();
            inFlight--;
            if (head.error == null) {
                acknowledged(lane, head);
            } else {
                failed(lane, head);
                return;
            }
        }
    }

    private void acknowledged(Lane lane, Sent sent) {
        acknowledger.submit(new Acknowledger.Acked(lane.claim, sent.message.id(), this));
        publishedSinceRead++;
        acknowledgedTotal++;
        if (lane.mode == Mode.PROBING) {
            mode(lane, Mode.RUNNING);
        }
        Duration age = Duration.ofMillis(
                Math.max(0, s.clock().millis() - sent.message.createdAt().toEpochMilli()));
        Calls.listener(s, l -> l.published(sent.outgoing, age));
    }

    /**
     * The first failure of a lane's flight: the later messages of the lane are held back, the position goes back
     * below them all, and the lane backs off or stops.
     */
    private void failed(Lane lane, Sent head) {
        lane.failing = false;
        long lowest = head.id();
        lane.known.remove(head.id());
        for (Sent later : lane.inFlight) {
            later.discarded = true;
            lane.known.remove(later.id());
            lowest = Math.min(lowest, later.id());
        }
        inFlight -= lane.inFlight.size();
        lane.inFlight.clear();
        lane.rewindTo(lowest);
        OutboxException error = head.error;
        if (error instanceof Abandoned) {
            return;
        }
        failedSinceRead++;
        if (head.outgoing != null) {
            Calls.listener(s, l -> l.publishFailed(head.outgoing, error));
        }
        int attempts = head.message.attempts() + 1;
        String reason = Dispatch.describe(error);
        boolean fatal = !error.isRetriable() || error instanceof FatalException;
        if (fatal || attempts >= s.maxAttempts()) {
            stop(lane, head.message, (fatal ? "fatal: " : "failed " + attempts + " times: ") + reason, attempts);
            return;
        }
        try {
            s.store().recordFailure(s.relayId(), lane.claim, head.message.id(), reason);
        } catch (RuntimeException e) {
            log.warn("relay {}: could not record the failure of message {}", s.relayId(), head.message.id(), e);
        }
        mode(lane, Mode.BACKING_OFF);
        lane.retryAtNanos = s.ticker().nanoTime() + s.backoff().delay(attempts).toNanos();
        log.debug(
                "relay {}: lane {} message {} failed (attempt {}): {}",
                s.relayId(),
                lane.number,
                head.message.id(),
                attempts,
                reason);
    }

    private void stop(Lane lane, StoredMessage head, String why, int attempts) {
        Optional<StoppedLane> stopped;
        try {
            stopped = s.store().stop(s.relayId(), lane.claim, head, why);
        } catch (RuntimeException e) {
            // Not recorded: back off and let the message fail (and stop the lane) again.
            log.warn("relay {}: could not stop lane {}", s.relayId(), lane.number, e);
            mode(lane, Mode.BACKING_OFF);
            lane.retryAtNanos =
                    s.ticker().nanoTime() + s.backoff().delay(attempts).toNanos();
            return;
        }
        // An empty answer means the lane was stopped already or has moved; either way this relay must not publish it
        // on the claim it has.
        mode(lane, Mode.STOPPED);
        lane.stoppedGeneration = lane.claim.generation();
        if (stopped.isPresent()) {
            log.warn("relay {}: lane {} stopped at message {} ({})", s.relayId(), lane.number, head.id(), why);
            Calls.monitor(s, m -> m.laneStopped(stopped.get()));
        }
    }

    private void discardInFlight(Lane lane) {
        lane.failing = false;
        for (Sent sent : lane.inFlight) {
            sent.discarded = true;
            lane.known.remove(sent.id());
        }
        inFlight -= lane.inFlight.size();
        lane.inFlight.clear();
    }

    private void publishLowWater(long now) {
        if (lowWaterAtNanos != 0 && now - lowWaterAtNanos < LOW_WATER_EVERY_NANOS && lowWater.size() == lanes.size()) {
            return;
        }
        lowWaterAtNanos = now;
        Map<Integer, Long> marks = new HashMap<>();
        lanes.values().forEach(l -> marks.put(l.number, l.lowWater()));
        lowWater = Map.copyOf(marks);
    }

    // --- drainNow and close ----------------------------------------------------------------------------------------

    /**
     * One read, then waits until everything it sent is settled (within the publish timeout) and deleted: for drainNow.
     */
    Read drainRound() {
        lock.lock();
        try {
            long now = s.ticker().nanoTime();
            long acknowledgedBefore = acknowledgedTotal;
            catchUp(now);
            if (transactional) {
                // As the loop does: lanes claimed are taken over before they are read, and what is acknowledged is
                // deleted before the next read is sent.
                settleTransactional();
            }
            boolean reads = lanes.values().stream().anyMatch(Lane::reads) && (!transactional || inFlight == 0);
            Read read = reads ? read(now) : Read.NOTHING;
            awaitSettled(s.ticker().nanoTime() + s.publishTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1));
            acknowledger.flush();
            catchUp(s.ticker().nanoTime());
            lowWaterAtNanos = 0;
            publishLowWater(now);
            return new Read(read.fetched(), read.sent(), acknowledgedTotal - acknowledgedBefore);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies outcomes until nothing is in flight or the deadline (ticker time) passes, and at most as long in real
     * time, so that a ticker that does not move (a test's) cannot hold a close or a drain; under the lock.
     */
    private void awaitSettled(long deadline) {
        long realDeadline =
                System.nanoTime() + Math.max(0, deadline - s.ticker().nanoTime());
        while (inFlight() > 0) {
            long now = s.ticker().nanoTime();
            catchUp(now);
            long real = System.nanoTime();
            if (inFlight() == 0 || now - deadline >= 0 || real - realDeadline >= 0) {
                return;
            }
            long wait = Math.min(Math.min(deadline - now, realDeadline - real), TimeUnit.MILLISECONDS.toNanos(10));
            if (!await(wait)) {
                return;
            }
        }
    }

    /**
     * Stops reading and waits (until {@code deadline}, ticker time) for what is in flight to settle; what is still in
     * flight then is given up without counting as an attempt.
     */
    void finish(long deadline) {
        lock.lock();
        try {
            awaitSettled(deadline);
            for (Lane lane : lanes.values()) {
                Sent head = lane.inFlight.peekFirst();
                if (head != null) {
                    settle(head, new Abandoned("the relay closed before the broker acknowledged"));
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
