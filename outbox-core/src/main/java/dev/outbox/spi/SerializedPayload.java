package dev.outbox.spi;

import java.util.Map;
import java.util.Objects;

/**
 * What a {@link MessageSerializer} made of an object.
 *
 * @param bytes the payload
 * @param contentType its media type, e.g. {@code application/json} or {@code application/avro}
 * @param headers headers the format needs on the wire, e.g. a schema version; usually empty
 */
public record SerializedPayload(byte[] bytes, String contentType, Map<String, String> headers) {
    public SerializedPayload {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(contentType, "contentType");
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /** A payload with no extra headers. */
    public static SerializedPayload of(byte[] bytes, String contentType) {
        return new SerializedPayload(bytes, contentType, Map.of());
    }
}
