/**
 * The Spring Boot auto-configuration of the outbox: {@link dev.outbox.spring.autoconfigure.OutboxAutoConfiguration}
 * (store, outbox, broker, relay, subscribers), {@link dev.outbox.spring.autoconfigure.OutboxMetricsAutoConfiguration}
 * (Micrometer) and {@link dev.outbox.spring.autoconfigure.OutboxTracingAutoConfiguration} (OpenTelemetry).
 */
package dev.outbox.spring.autoconfigure;
