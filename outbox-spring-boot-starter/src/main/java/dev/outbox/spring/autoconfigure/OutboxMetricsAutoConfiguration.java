package dev.outbox.spring.autoconfigure;

import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.metrics.micrometer.BacklogMetrics;
import dev.outbox.metrics.micrometer.ConsumerMetrics;
import dev.outbox.metrics.micrometer.DedupMetrics;
import dev.outbox.metrics.micrometer.LoggingPartitionMonitor;
import dev.outbox.metrics.micrometer.MicrometerPartitionMonitor;
import dev.outbox.metrics.micrometer.MicrometerRelayMetrics;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.PartitionMonitor;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Binds the relay's, the backlog's and the consumers' meters ({@code outbox-metrics-micrometer}) to the application's
 * {@link MeterRegistry}, as {@code MicrometerMetricsModule} does under Guice: the relay hears {@link
 * MicrometerRelayMetrics} and {@link BacklogMetrics} (fed by its own backlog reading), its lane stops go to {@link
 * MicrometerPartitionMonitor} and are logged, every subscriber's handler is counted and timed, and the deduplicators
 * report to {@link DedupMetrics}.
 */
@AutoConfiguration(
        after = OutboxAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({MicrometerRelayMetrics.class, MeterRegistry.class})
@ConditionalOnBean({MessageStore.class, MeterRegistry.class})
public class OutboxMetricsAutoConfiguration {
    /** Creates the auto-configuration; Spring does. */
    public OutboxMetricsAutoConfiguration() {}

    @Bean
    MicrometerRelayMetrics outboxRelayMetrics(MeterRegistry registry) {
        return MicrometerRelayMetrics.create(registry);
    }

    @Bean
    BacklogMetrics outboxBacklogMetrics(MessageStore store, MeterRegistry registry) {
        return BacklogMetrics.builder(store, registry).build();
    }

    @Bean
    MicrometerPartitionMonitor outboxPartitionMetrics(MeterRegistry registry) {
        return MicrometerPartitionMonitor.create(registry);
    }

    @Bean
    PartitionMonitor outboxLoggingMonitor() {
        return LoggingPartitionMonitor.create();
    }

    @Bean
    DedupListener outboxDedupMetrics(MeterRegistry registry) {
        return DedupMetrics.create(registry);
    }

    @Bean
    SubscriberLifecycle.HandlerDecorator outboxConsumerMetrics(MeterRegistry registry) {
        return (spec, handler) -> ConsumerMetrics.wrap(spec, handler, registry);
    }
}
