/**
 * The JSON {@link dev.outbox.spi.MessageSerializer} on Jackson: {@link
 * dev.outbox.serializer.jackson.JacksonMessageSerializer}. Records and POJOs, {@code java.time} as ISO-8601 text, no
 * default typing and no class names read from the wire.
 */
package dev.outbox.serializer.jackson;
