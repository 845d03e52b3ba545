package dev.outbox.internal;

import dev.outbox.MessageId;
import dev.outbox.spi.LaneClaim;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes acknowledged messages from the store in batches, apart from the reads: one statement for everything
 * acknowledged since the last one, once a batch has gathered or the oldest has waited {@link #LINGER}. Its thread (or a
 * caller of {@link #flush()}, such as drainNow) owns the pending list under its lock.
 *
 * <p>When the store refuses a delete (an error, not fencing) the batch stays pending and is tried again after a
 * backoff: those messages are published already, and forgetting them would leave them in the table.
 */
final class Acknowledger {
    private static final Logger log = LoggerFactory.getLogger(Acknowledger.class);
    /** How long an acknowledgement waits for others to share its statement. */
    static final Duration LINGER = Duration.ofMillis(5);

    /** An acknowledged message, and the worker to tell once it is deleted. */
    record Acked(LaneClaim claim, MessageId id, Worker worker) {}

    private final RelaySettings s;
    private final Runnable fenced;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Guarded by lock.
    private List<Acked> pending = new ArrayList<>();
    private long oldestNanos;
    private int failures;
    private long retryAtNanos;
    private boolean closing;

    /** @param fenced told when the store refused some acknowledgements because their lanes moved to another relay */
    Acknowledger(RelaySettings settings, Runnable fenced) {
        this.s = settings;
        this.fenced = fenced;
    }

    void submit(Acked acked) {
        lock.lock();
        try {
            if (pending.isEmpty()) {
                oldestNanos = s.ticker().nanoTime();
            }
            pending.add(acked);
            if (pending.size() >= s.batchSize()) {
                changed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The loop of its thread: deletes when a batch is due, until {@link #close()}. */
    void run() {
        while (true) {
            lock.lock();
            try {
                while (!closing && !due()) {
                    long wait = waitNanos();
                    changed.await(wait, TimeUnit.NANOSECONDS);
                }
                if (closing) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            flush();
        }
    }

    private boolean due() {
        long now = s.ticker().nanoTime();
        if (pending.isEmpty() || (failures > 0 && now - retryAtNanos < 0)) {
            return false;
        }
        return pending.size() >= s.batchSize() || now - oldestNanos >= LINGER.toNanos();
    }

    private long waitNanos() {
        long now = s.ticker().nanoTime();
        if (pending.isEmpty()) {
            return TimeUnit.MILLISECONDS.toNanos(100);
        }
        long wait = oldestNanos + LINGER.toNanos() - now;
        if (failures > 0) {
            wait = Math.max(wait, retryAtNanos - now);
        }
        return Math.max(TimeUnit.MICROSECONDS.toNanos(100), wait);
    }

    /**
     * Deletes everything pending now, on the caller's thread, and tells the workers which ids are gone.
     *
     * @return false if the store failed (the batch stays pending)
     */
    boolean flush() {
        List<Acked> batch;
        lock.lock();
        try {
            if (pending.isEmpty()) {
                return true;
            }
            batch = pending;
            pending = new ArrayList<>();
        } finally {
            lock.unlock();
        }
        Map<Integer, LaneClaim> claims = new HashMap<>();
        List<MessageId> ids = new ArrayList<>(batch.size());
        for (Acked a : batch) {
            claims.put(a.claim().lane(), a.claim());
            ids.add(a.id());
        }
        int deleted;
        try {
            deleted = s.store().acknowledge(s.relayId(), claims.values(), ids);
        } catch (RuntimeException e) {
            lock.lock();
            try {
                batch.addAll(pending);
                pending = batch;
                failures++;
                retryAtNanos =
                        s.ticker().nanoTime() + s.backoff().delay(failures).toNanos();
            } finally {
                lock.unlock();
            }
            log.warn(
                    "relay {}: could not delete {} published messages; trying again ({} in a row)",
                    s.relayId(),
                    batch.size(),
                    failures,
                    e);
            return false;
        }
        lock.lock();
        try {
            failures = 0;
        } finally {
            lock.unlock();
        }
        if (deleted < batch.size()) {
            log.warn(
                    "relay {}: {} of {} published messages were not deleted: their lanes moved to another relay, which"
                            + " will publish them again",
                    s.relayId(),
                    batch.size() - deleted,
                    batch.size());
            fenced.run();
        }
        Map<Worker, List<Acked>> byWorker = new LinkedHashMap<>();
        batch.forEach(a ->
                byWorker.computeIfAbsent(a.worker(), w -> new ArrayList<>()).add(a));
        byWorker.forEach(Worker::deleted);
        return true;
    }

    /** How many acknowledgements wait to be deleted. */
    int pending() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the loop; what is pending stays for a last {@link #flush()}. */
    void close() {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
