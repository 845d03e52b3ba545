package dev.outbox.tracing.opentelemetry;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidMessageException;
import dev.outbox.consumer.dedup.DedupListener;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;

/**
 * Marks the current {@code process} span with what the dedup module decided: {@code outbox.dedup.duplicate} is {@code
 * true} on a delivery skipped as already processed (with a {@code duplicate skipped} event), {@code false} on one
 * processed for the first time, and {@code outbox.dedup.consumer} names the consumer. Give it to the deduplicator:
 *
 * <pre>{@code
 * Deduplicator.builder().jdbi(jdbi).consumer("billing").listener(TracingDedupListener.create()).build();
 * // Guice: DedupModule.listeners(binder()).addBinding().toInstance(TracingDedupListener.create());
 * }</pre>
 *
 * It writes to {@link Span#current()}, which is the {@code process} span when the deduplicated handler was given to a
 * broker from {@link OutboxTracing#broker}: the dedup module calls its listeners on the handler's thread. Needs {@code
 * outbox-consumer-dedup} on the classpath. Thread-safe and stateless.
 */
public final class TracingDedupListener implements DedupListener {
    private static final TracingDedupListener INSTANCE = new TracingDedupListener();

    private TracingDedupListener() {}

    /** The listener. */
    public static TracingDedupListener create() {
        return INSTANCE;
    }

    @Override
    public void processed(String consumer, IncomingMessage message, Duration elapsed) {
        Span span = Span.current();
        span.setAttribute(TracingAttributes.DUPLICATE, false);
        span.setAttribute(TracingAttributes.DEDUP_CONSUMER, consumer);
    }

    @Override
    public void skipped(String consumer, IncomingMessage message) {
        Span span = Span.current();
        span.setAttribute(TracingAttributes.DUPLICATE, true);
        span.setAttribute(TracingAttributes.DEDUP_CONSUMER, consumer);
        span.addEvent("duplicate skipped");
    }

    @Override
    public void rejected(String consumer, InvalidMessageException error) {
        Span.current()
                .addEvent(
                        "message rejected",
                        Attributes.of(
                                TracingAttributes.DEDUP_CONSUMER,
                                consumer,
                                TracingAttributes.ERROR_TYPE,
                                error.getClass().getName()));
    }

    @Override
    public String toString() {
        return "TracingDedupListener";
    }
}
