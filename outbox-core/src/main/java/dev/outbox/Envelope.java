package dev.outbox;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What travels with every published message besides its payload: the message id and source that consumers deduplicate
 * on, the type, content type, creation time and partition key, and the user's headers. Broker adapters carry it in
 * their native metadata (Kafka record headers, AMQP properties and headers); {@link #toHeaders()} and {@link
 * #fromHeaders(String, Map)} give the plain string form shared by both.
 *
 * @param messageId the store's id for the message
 * @param source the producing service's name, so that ids from two databases never collide
 * @param topic the topic or routing key it was published to
 * @param key the partition key, or null
 * @param type the event type name
 * @param contentType the payload's media type
 * @param createdAt when the message was appended (the appending transaction's time)
 * @param headers the user's headers, untouched
 */
public record Envelope(
        MessageId messageId,
        String source,
        String topic,
        String key,
        String type,
        String contentType,
        Instant createdAt,
        Map<String, String> headers) {

    public static final String MESSAGE_ID = "message_id";
    public static final String SOURCE = "source";
    public static final String TYPE = "type";
    public static final String CONTENT_TYPE = "content_type";
    public static final String CREATED_AT = "created_at";
    public static final String PARTITION_KEY = "partition_key";

    /** Header names the envelope owns; a user header may not use them. */
    public static final List<String> RESERVED_HEADERS =
            List.of(MESSAGE_ID, SOURCE, TYPE, CONTENT_TYPE, CREATED_AT, PARTITION_KEY);

    public Envelope {
        Objects.requireNonNull(messageId, "messageId");
        MessageChecks.name(source, "source", 255);
        MessageChecks.name(topic, "topic", Message.MAX_TOPIC_LENGTH);
        MessageChecks.name(type, "type", 255);
        MessageChecks.name(contentType, "contentType", 255);
        Objects.requireNonNull(createdAt, "createdAt");
        headers = MessageChecks.headerFields(headers, RESERVED_HEADERS);
    }

    /** The envelope as string headers: the reserved fields (but topic, which brokers carry natively) and the user's. */
    public Map<String, String> toHeaders() {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put(MESSAGE_ID, messageId.toString());
        all.put(SOURCE, source);
        all.put(TYPE, type);
        all.put(CONTENT_TYPE, contentType);
        all.put(CREATED_AT, createdAt.toString());
        if (key != null) {
            all.put(PARTITION_KEY, key);
        }
        return all;
    }

    /**
     * Reads an envelope back from the string headers written by {@link #toHeaders()}.
     *
     * @throws InvalidMessageException naming the missing or malformed field, for a message that did not come from an
     *     outbox relay (consumers dead-letter those rather than process them)
     */
    public static Envelope fromHeaders(String topic, Map<String, String> wire) {
        if (wire == null) {
            throw new InvalidMessageException("headers must not be null: not a message from an outbox relay");
        }
        Map<String, String> user = new HashMap<>(wire);
        RESERVED_HEADERS.forEach(user::remove);
        String id = require(wire, MESSAGE_ID);
        MessageId messageId;
        try {
            messageId = MessageId.parse(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidMessageException("header message_id is malformed: '" + id + "'", e);
        }
        Instant createdAt;
        try {
            createdAt = Instant.parse(require(wire, CREATED_AT));
        } catch (DateTimeParseException e) {
            throw new InvalidMessageException("header created_at is malformed: '" + wire.get(CREATED_AT) + "'", e);
        }
        return new Envelope(
                messageId,
                require(wire, SOURCE),
                topic,
                wire.get(PARTITION_KEY),
                require(wire, TYPE),
                require(wire, CONTENT_TYPE),
                createdAt,
                user);
    }

    private static String require(Map<String, String> wire, String name) {
        String v = wire.get(name);
        if (v == null || v.isBlank()) {
            throw new InvalidMessageException("header " + name + " is missing: not a message from an outbox relay");
        }
        return v;
    }
}
