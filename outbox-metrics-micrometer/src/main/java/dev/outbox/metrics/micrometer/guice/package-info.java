/** Guice wiring of the Micrometer metrics: {@link dev.outbox.metrics.micrometer.guice.MicrometerMetricsModule}. */
package dev.outbox.metrics.micrometer.guice;
