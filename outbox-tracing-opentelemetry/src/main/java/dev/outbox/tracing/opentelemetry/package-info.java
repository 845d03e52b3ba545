/**
 * OpenTelemetry tracing of the outbox: {@link dev.outbox.tracing.opentelemetry.OutboxTracing} gives the append
 * interceptor (a {@code create} span per appended message, its context stored with the message), a traced broker (a
 * {@code publish} span per relayed message, a {@code process} span around each consumer's handler) and a context-header
 * supplier; {@link dev.outbox.tracing.opentelemetry.TracingDedupListener} marks duplicates the dedup module skipped;
 * {@link dev.outbox.tracing.opentelemetry.TracingAttributes} names the attributes. Depends on the OpenTelemetry API
 * only: the application brings the SDK or the agent.
 */
package dev.outbox.tracing.opentelemetry;
