/**
 * Guice wiring for the Jackson serializer: {@link dev.outbox.serializer.jackson.guice.JacksonSerializerModule} binds
 * the {@link dev.outbox.spi.MessageSerializer} that {@code dev.outbox.guice.OutboxModule} reads.
 */
package dev.outbox.serializer.jackson.guice;
