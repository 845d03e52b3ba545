package dev.outbox.metrics.micrometer;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.consumer.dedup.CleanupResult;
import dev.outbox.consumer.dedup.DedupListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The dedup module's figures as Micrometer meters, tagged by consumer: {@code outbox.dedup.processed} (and a timer
 * of the transaction), {@code outbox.dedup.duplicates.skipped}, {@code outbox.dedup.failed}, {@code
 * outbox.dedup.rejected} (messages without a usable id or source) and {@code outbox.dedup.cleaned} (ids removed by
 * retention). Add it with {@code Deduplicator.builder().listener(DedupMetrics.create(registry))}, or with Guice through
 * {@code DedupModule.listeners(binder())}. Needs {@code outbox-consumer-dedup} on the classpath.
 *
 * <p>Thread-safe.
 */
public final class DedupMetrics implements DedupListener {
    private final MeterRegistry registry;

    private DedupMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters in {@code registry}. */
    public static DedupMetrics create(MeterRegistry registry) {
        if (registry == null) {
            throw new InvalidConfigurationException("registry must not be null");
        }
        return new DedupMetrics(registry);
    }

    @Override
    public void processed(String consumer, IncomingMessage message, Duration elapsed) {
        Timer.builder("outbox.dedup.processed")
                .description("messages processed once, with their transaction's duration")
                .tag("consumer", consumer)
                .register(registry)
                .record(elapsed);
    }

    @Override
    public void skipped(String consumer, IncomingMessage message) {
        counter("outbox.dedup.duplicates.skipped", "deliveries recognised as duplicates and skipped", consumer)
                .increment();
    }

    @Override
    public void failed(String consumer, IncomingMessage message, RuntimeException error) {
        counter("outbox.dedup.failed", "handler transactions rolled back", consumer)
                .increment();
    }

    @Override
    public void rejected(String consumer, InvalidMessageException error) {
        counter("outbox.dedup.rejected", "messages refused for a missing or malformed id or source", consumer)
                .increment();
    }

    @Override
    public void cleaned(CleanupResult result) {
        Counter.builder("outbox.dedup.cleaned")
                .description("processed ids deleted after the retention window")
                .register(registry)
                .increment(result.deleted());
    }

    private Counter counter(String name, String description, String consumer) {
        return Counter.builder(name)
                .description(description)
                .tag("consumer", consumer)
                .register(registry);
    }
}
