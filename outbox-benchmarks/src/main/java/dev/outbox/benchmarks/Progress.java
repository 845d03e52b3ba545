package dev.outbox.benchmarks;

import dev.outbox.RelayListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Counts what relays acknowledged in the store (published and deleted), so a benchmark can wait until a backlog is
 * gone, deletes included. Thread-safe; one instance may serve several relays.
 */
final class Progress implements RelayListener {
    private long done;
    private long rounds;
    private long lastRoundNanos;
    private long roundNanos;

    @Override
    public synchronized void roundCompleted(int fetched, int published, int failed, Duration elapsed) {
        rounds++;
        roundNanos += elapsed.toNanos();
        if (published > 0) {
            done += published;
            lastRoundNanos = System.nanoTime();
            notifyAll();
        }
    }

    synchronized long done() {
        return done;
    }

    synchronized long rounds() {
        return rounds;
    }

    /** Time spent in rounds, in all. */
    synchronized long roundNanos() {
        return roundNanos;
    }

    /**
     * Waits until {@code target} messages in all were acknowledged in the store.
     *
     * @return the time (System.nanoTime) the round that reached it ended
     * @throws IllegalStateException if that takes longer than {@code timeout}
     */
    synchronized long awaitDone(long target, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (done < target) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException(
                        "relay acknowledged " + done + " of " + target + " messages within " + timeout);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return lastRoundNanos;
    }
}
