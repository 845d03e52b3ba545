package dev.outbox.internal;

import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lanes this relay holds: renews the lease and rebalances by heartbeat, and publishes what it holds as an
 * immutable {@link Held}, which the workers read. Heartbeats and releases run one at a time (its lock); the heartbeat
 * thread calls {@link #heartbeat()}, and so may a relay that is not started (drainNow, an operator's command).
 *
 * <p>Lanes over the fair share are marked for release; the worker that reads a lane gives it up once nothing of it is
 * in flight, so lanes move between relays without interrupting what is on its way to the broker.
 */
final class LaneLeases {
    private static final Logger log = LoggerFactory.getLogger(LaneLeases.class);

    /**
     * What the relay holds, the heartbeat that said so (ticker time), and until when it may trust it without another.
     */
    record Held(
            Map<Integer, LaneClaim> claims,
            Set<Integer> releasing,
            int fairShare,
            int liveRelays,
            long validUntilNanos) {
        static final Held NONE = new Held(Map.of(), Set.of(), 0, 0, Long.MIN_VALUE);

        Held {
            claims = Map.copyOf(claims);
            releasing = Set.copyOf(releasing);
        }

        boolean valid(long nowNanos) {
            return nowNanos - validUntilNanos < 0;
        }
    }

    private final RelaySettings s;
    private final int workers;
    private final Runnable onChange;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Held held = Held.NONE;

    /**
     * @param workers how many workers share the lanes (lane number modulo this), so that releases are spread over them
     * @param onChange told when the lanes held change (wakes the workers)
     */
    LaneLeases(RelaySettings settings, int workers, Runnable onChange) {
        this.s = settings;
        this.workers = workers;
        this.onChange = onChange;
    }

    /** What is held now; nothing once the last heartbeat's lease may have run out. */
    Held current() {
        Held h = held;
        return h.valid(s.ticker().nanoTime()) ? h : Held.NONE;
    }

    /** Renews the lease and claims up to the fair share; throws what the store throws. */
    void heartbeat() {
        lock.lock();
        try {
            long sent = s.ticker().nanoTime();
            LaneAssignment a = s.store().heartbeat(s.relayId(), s.lease());
            Map<Integer, LaneClaim> claims = new HashMap<>();
            a.claims().forEach(c -> claims.put(c.lane(), c));
            // Trust the claims a little less than the lease, measured from before the heartbeat was sent, so this
            // relay stops publishing a lane before another relay can claim it.
            long validUntil = sent + s.lease().toNanos() - s.heartbeat().toNanos();
            Held before = held;
            held = new Held(claims, surplus(claims, a.fairShare()), a.fairShare(), a.liveRelays(), validUntil);
            if (!before.claims().equals(claims)) {
                log.info(
                        "relay {} holds {} lanes (fair share {}, {} relays alive)",
                        s.relayId(),
                        claims.size(),
                        a.fairShare(),
                        a.liveRelays());
                Calls.listener(s, l -> l.lanesOwned(claims.size()));
                onChange.run();
            } else if (!before.releasing().equals(held.releasing())) {
                onChange.run();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A heartbeat whose failure is only logged: the lanes held stay valid until their lease ends. */
    void heartbeatQuietly() {
        try {
            heartbeat();
        } catch (RuntimeException e) {
            log.warn("relay {}: heartbeat failed; the lanes held stay valid until their lease ends", s.relayId(), e);
        }
    }

    /** Gives lanes up (their worker has nothing of them in flight any more). */
    void release(List<Integer> lanes) {
        lock.lock();
        try {
            Held h = held;
            s.store().release(s.relayId(), lanes);
            Map<Integer, LaneClaim> keep = new HashMap<>(h.claims());
            Set<Integer> releasing = new HashSet<>(h.releasing());
            lanes.forEach(lane -> {
                keep.remove(lane);
                releasing.remove(lane);
            });
            held = new Held(keep, releasing, h.fairShare(), h.liveRelays(), h.validUntilNanos());
            log.info("relay {} released {} lanes to other relays, keeps {}", s.relayId(), lanes.size(), keep.size());
            Calls.listener(s, l -> l.lanesOwned(keep.size()));
        } finally {
            lock.unlock();
        }
    }

    /** Gives every lane back and forgets this relay in the store. */
    void leave() {
        lock.lock();
        try {
            held = Held.NONE;
            s.store().leave(s.relayId());
        } finally {
            lock.unlock();
        }
    }

    /**
     * The lanes over the fair share: the highest ones, taken each time from the worker that holds the most, so that the
     * lanes kept stay spread evenly over the workers.
     */
    private Set<Integer> surplus(Map<Integer, LaneClaim> claims, int fairShare) {
        int surplus = claims.size() - fairShare;
        if (surplus <= 0 || fairShare == 0) {
            return Set.of();
        }
        List<List<Integer>> byWorker = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            byWorker.add(new ArrayList<>());
        }
        List<Integer> lanes = new ArrayList<>(claims.keySet());
        lanes.sort(Collections.reverseOrder());
        lanes.forEach(lane -> byWorker.get(lane % workers).add(lane));
        Set<Integer> give = new HashSet<>();
        int[] taken = new int[workers];
        for (int n = 0; n < surplus; n++) {
            int richest = 0;
            for (int i = 1; i < workers; i++) {
                if (byWorker.get(i).size() - taken[i] > byWorker.get(richest).size() - taken[richest]) {
                    richest = i;
                }
            }
            give.add(byWorker.get(richest).get(taken[richest]++));
        }
        return give;
    }
}
