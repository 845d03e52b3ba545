package dev.outbox;

/**
 * Monotonic time in nanoseconds, like {@link System#nanoTime()}: for measuring durations and scheduling waits, never
 * for dates. The relay and the in-memory store take one so that tests can move time instead of waiting for it.
 */
@FunctionalInterface
public interface Ticker {

    /** The current value, in nanoseconds from an arbitrary origin; only differences between two values mean anything. */
    long nanoTime();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
