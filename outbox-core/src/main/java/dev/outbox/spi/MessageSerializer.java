package dev.outbox.spi;

import dev.outbox.Envelope;
import dev.outbox.IncomingMessage;
import java.util.Map;

/**
 * Turns application objects into payload bytes and back. The event's type name is decided by the outbox (from the
 * class or given explicitly) and passed in; a serializer never writes class names to the wire.
 *
 * <p>Implementations are thread-safe.
 */
public interface MessageSerializer {

    /**
     * Writes an object.
     *
     * @param type the event type name it is sent as
     * @param value the object, not null
     * @throws dev.outbox.InvalidMessageException if the object cannot be written (or does not fit its schema)
     */
    SerializedPayload serialize(String type, Object value);

    /**
     * Reads an object back.
     *
     * @param type the event type name from the envelope
     * @param contentType the payload's media type from the envelope
     * @param payload the bytes
     * @param target the class to read into
     * @throws dev.outbox.InvalidMessageException if the bytes cannot be read as {@code target}
     */
    <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target);

    /**
     * Reads an object back, with the headers it travelled with: a format whose payloads depend on metadata (an Avro
     * schema version) overrides this. The default ignores the headers.
     *
     * @param headers the message's headers (those the serializer added when writing among them)
     * @throws dev.outbox.InvalidMessageException if the bytes cannot be read as {@code target}
     */
    default <T> T deserialize(
            String type, String contentType, Map<String, String> headers, byte[] payload, Class<T> target) {
        return deserialize(type, contentType, payload, target);
    }

    /**
     * Reads the payload of a delivered message, using its envelope's type, content type and headers.
     *
     * @throws dev.outbox.InvalidMessageException if the payload cannot be read as {@code target}
     */
    default <T> T read(IncomingMessage message, Class<T> target) {
        Envelope e = message.envelope();
        return deserialize(e.type(), e.contentType(), e.headers(), message.payload(), target);
    }
}
