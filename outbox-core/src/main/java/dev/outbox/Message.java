package dev.outbox;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message as the application appends it: already serialized, not yet stored. Immutable and validated on
 * construction, so a {@code Message} that exists is one the outbox accepts (but for the payload size limit, which is a
 * setting of the {@link Outbox} and checked at append).
 *
 * @param topic where it goes: a Kafka topic, a RabbitMQ routing key. Not blank, at most 249 characters, shown as
 *     written on one line (no control, formatting or separator characters). The broker may allow less: the {@link
 *     Outbox} checks its {@link dev.outbox.spi.TopicRules} at append.
 * @param key the partition key; messages with the same topic and key are published in the order they were appended.
 *     May be null: the message is then ordered with the other keyless messages of its topic.
 * @param type the event type name, e.g. {@code ProductQuantityIncreased}. Not blank, at most 255 characters, shown as
 *     written on one line.
 * @param contentType the payload's media type, e.g. {@code application/json}. Not blank, shown as written on one line.
 * @param payload the bytes to publish, not null (may be empty). Copied in and out.
 * @param headers user headers, string pairs, passed through to the consumer untouched (a W3C {@code traceparent}
 *     included). Names of the envelope ({@link Envelope#RESERVED_HEADERS}) are refused. At most {@value
 *     #MAX_HEADERS} headers, of at most {@value #MAX_HEADER_BYTES} bytes in UTF-8 together (names and values); names
 *     of at most {@value #MAX_HEADER_NAME_BYTES} bytes without control, formatting or separator characters; values
 *     without control characters (CR, LF, NUL...), line separators or unpaired surrogates. Header bytes count toward
 *     the outbox's {@link Outbox#maxPayloadBytes()}.
 */
public record Message(
        String topic, String key, String type, String contentType, byte[] payload, Map<String, String> headers) {

    /** The longest topic accepted: Kafka's limit, and well inside RabbitMQ's 255-byte routing key. */
    public static final int MAX_TOPIC_LENGTH = 249;

    /** The most headers a message may carry: {@value}. */
    public static final int MAX_HEADERS = 64;

    /**
     * The most bytes a message's headers may take together, names and values in UTF-8: {@value} (16 KiB), so that they
     * fit, with the envelope's, in one AMQP frame of RabbitMQ's smallest {@code frame_max} and in a Kafka record.
     */
    public static final int MAX_HEADER_BYTES = 16 * 1024;

    /** The longest header name, in bytes of UTF-8: {@value}, an AMQP short string. */
    public static final int MAX_HEADER_NAME_BYTES = 255;

    public Message {
        MessageChecks.name(topic, "topic", MAX_TOPIC_LENGTH);
        MessageChecks.optionalText(key, "key", 1024);
        MessageChecks.name(type, "type", 255);
        MessageChecks.name(contentType, "contentType", 255);
        if (payload == null) {
            throw new InvalidMessageException("payload must not be null (use an empty array for no payload)");
        }
        payload = payload.clone();
        headers = MessageChecks.headers(headers, Envelope.RESERVED_HEADERS);
    }

    /** The payload bytes (a copy). */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload length, without copying it. */
    public int payloadSize() {
        return payload.length;
    }

    /** How many bytes the headers take in UTF-8, names and values: what they add to the payload's size. */
    public int headerBytes() {
        return MessageChecks.headerBytes(headers);
    }

    /** Whether {@code other} carries the same payload bytes, compared without copying them. */
    boolean samePayload(Message other) {
        return Arrays.equals(payload, other.payload);
    }

    /** A builder for a message to {@code topic}. */
    public static Builder builder(String topic) {
        return new Builder(topic);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m
                && topic.equals(m.topic)
                && Objects.equals(key, m.key)
                && type.equals(m.type)
                && contentType.equals(m.contentType)
                && Arrays.equals(payload, m.payload)
                && headers.equals(m.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, key, type, contentType, Arrays.hashCode(payload), headers);
    }

    @Override
    public String toString() {
        return "Message[topic=" + topic + ", key=" + key + ", type=" + type + ", contentType=" + contentType
                + ", payload=" + payload.length + " bytes, headers=" + headers + "]";
    }

    /** Builds a {@link Message}; validation happens in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final String topic;
        private String key;
        private String type;
        private String contentType = "application/octet-stream";
        private byte[] payload;
        private final Map<String, String> headers = new LinkedHashMap<>();

        private Builder(String topic) {
            this.topic = topic;
        }

        /** The partition key. Default: none. */
        public Builder key(String key) {
            this.key = key;
            return this;
        }

        /** The event type name. Required. */
        public Builder type(String type) {
            this.type = type;
            return this;
        }

        /** The payload and its media type. Required. */
        public Builder payload(byte[] payload, String contentType) {
            this.payload = payload;
            this.contentType = contentType;
            return this;
        }

        /** A UTF-8 text payload with its media type. */
        public Builder payload(String text, String contentType) {
            if (text == null) {
                throw new InvalidMessageException("payload must not be null");
            }
            return payload(text.getBytes(StandardCharsets.UTF_8), contentType);
        }

        /** Adds a header. */
        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** Adds headers. */
        public Builder headers(Map<String, String> more) {
            if (more != null) {
                headers.putAll(more);
            }
            return this;
        }

        /** @throws InvalidMessageException naming the first bad field */
        public Message build() {
            return new Message(topic, key, type, contentType, payload, headers);
        }
    }
}
