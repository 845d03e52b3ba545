/**
 * Micrometer metrics for the outbox: the relay ({@link dev.outbox.metrics.micrometer.MicrometerRelayMetrics}), lane
 * stops ({@link dev.outbox.metrics.micrometer.MicrometerPartitionMonitor}), the store's backlog ({@link
 * dev.outbox.metrics.micrometer.BacklogMetrics}) and consumers ({@link dev.outbox.metrics.micrometer.ConsumerMetrics}),
 * plus a {@link dev.outbox.metrics.micrometer.LoggingPartitionMonitor} that needs no metrics backend at all.
 *
 * <p>Every meter is named {@code outbox.*}. Tags are bounded: {@code topic} (at most a configured number of distinct
 * topics, the rest share one value), {@code kind} (two values), {@code lane} (only when the store has no more lanes
 * than a configured limit) and {@code subscription} (one per subscription the application wraps).
 */
package dev.outbox.metrics.micrometer;
