package dev.outbox.spi;

import dev.outbox.MessageId;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A message as the store holds it, fetched by the relay.
 *
 * @param id its id
 * @param lane its lane
 * @param topic topic or routing key
 * @param key partition key, or null
 * @param type event type name
 * @param contentType payload media type
 * @param headers user headers
 * @param payload payload bytes (not copied)
 * @param createdAt when the appending transaction started
 * @param attempts how many publish attempts have failed so far
 */
public record StoredMessage(
        MessageId id,
        int lane,
        String topic,
        String key,
        String type,
        String contentType,
        Map<String, String> headers,
        byte[] payload,
        Instant createdAt,
        int attempts) {

    public StoredMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(contentType, "contentType");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredMessage m
                && id.equals(m.id)
                && lane == m.lane
                && topic.equals(m.topic)
                && Objects.equals(key, m.key)
                && type.equals(m.type)
                && contentType.equals(m.contentType)
                && headers.equals(m.headers)
                && Arrays.equals(payload, m.payload)
                && createdAt.equals(m.createdAt)
                && attempts == m.attempts;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, lane, topic, key, type, contentType, headers, Arrays.hashCode(payload), createdAt);
    }

    @Override
    public String toString() {
        return "StoredMessage[id=" + id + ", lane=" + lane + ", topic=" + topic + ", key=" + key + ", type=" + type
                + ", " + payload.length + " bytes, attempts=" + attempts + "]";
    }
}
