package dev.outbox.consumer.dedup;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidMessageException;
import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears what a {@link Deduplicator} does, for metrics: messages processed, duplicates skipped, failures, cleanup passes.
 * Every method has an empty default, so an implementation overrides only what it needs.
 *
 * <p>Called on the subscriber's threads and on the cleanup thread: implementations must be thread-safe and quick. An
 * exception thrown by a listener is logged and otherwise ignored; it never changes the outcome of a message.
 */
public interface DedupListener {

    /** A listener that does nothing. */
    DedupListener NOOP = new DedupListener() {};

    /** The handler ran and its transaction committed with the message's record, {@code elapsed} after the start. */
    default void processed(String consumer, IncomingMessage message, Duration elapsed) {}

    /** The message had been processed before (a redelivery): the handler was skipped and the delivery acknowledged. */
    default void skipped(String consumer, IncomingMessage message) {}

    /**
     * The handler or the database failed: the transaction was rolled back and {@code error} goes back to the
     * subscriber, which retries the message.
     */
    default void failed(String consumer, IncomingMessage message, RuntimeException error) {}

    /** A message was refused as malformed (no id or no source); the subscriber dead-letters it. */
    default void rejected(String consumer, InvalidMessageException error) {}

    /** A retention cleanup pass ended. */
    default void cleaned(CleanupResult result) {}

    /**
     * A retention cleanup pass failed, on the cleanup task (the next pass tries again) or in {@link
     * Deduplicator#cleanupNow()} (which throws {@code error} too).
     */
    default void cleanupFailed(String consumer, RuntimeException error) {}

    /**
     * One listener that tells each of {@code listeners} in turn; an exception thrown by one is logged and does not keep
     * the others from hearing.
     */
    static DedupListener all(List<? extends DedupListener> listeners) {
        List<DedupListener> copy = List.copyOf(Validation.elements(listeners, "listeners"));
        return new DedupListener() {
            private final Logger log = LoggerFactory.getLogger(DedupListener.class);

            @Override
            public void processed(String consumer, IncomingMessage message, Duration elapsed) {
                each(l -> l.processed(consumer, message, elapsed));
            }

            @Override
            public void skipped(String consumer, IncomingMessage message) {
                each(l -> l.skipped(consumer, message));
            }

            @Override
            public void failed(String consumer, IncomingMessage message, RuntimeException error) {
                each(l -> l.failed(consumer, message, error));
            }

            @Override
            public void rejected(String consumer, InvalidMessageException error) {
                each(l -> l.rejected(consumer, error));
            }

            @Override
            public void cleaned(CleanupResult result) {
                each(l -> l.cleaned(result));
            }

            @Override
            public void cleanupFailed(String consumer, RuntimeException error) {
                each(l -> l.cleanupFailed(consumer, error));
            }

            private void each(java.util.function.Consumer<DedupListener> call) {
                for (DedupListener l : copy) {
                    try {
                        call.accept(l);
                    } catch (RuntimeException e) {
                        log.warn("dedup listener {} failed", l, e);
                    }
                }
            }
        };
    }
}
