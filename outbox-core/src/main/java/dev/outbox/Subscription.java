package dev.outbox;

/**
 * A running subscriber, returned by {@link dev.outbox.spi.Broker#subscribe}. Closing it stops taking new messages,
 * lets the handlers in progress finish (within a bound), acknowledges what they completed and leaves the rest to be
 * redelivered.
 */
public interface Subscription extends AutoCloseable {
    /** The spec it was started with. */
    SubscriptionSpec spec();

    /** Stops the subscriber; idempotent. */
    @Override
    void close();
}
