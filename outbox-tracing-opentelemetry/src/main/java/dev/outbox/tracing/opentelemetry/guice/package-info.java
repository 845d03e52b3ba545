/** Guice wiring of the tracing: {@link dev.outbox.tracing.opentelemetry.guice.OpenTelemetryTracingModule}. */
package dev.outbox.tracing.opentelemetry.guice;
