package dev.outbox.broker.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import dev.outbox.Envelope;
import dev.outbox.InvalidMessageException;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The envelope on the AMQP wire: native properties ({@code messageId}, {@code type}, {@code contentType}, {@code
 * timestamp}, {@code appId} = source, persistent delivery) for tools that read them, and the string headers of {@link
 * Envelope#toHeaders()} as the source of truth that consumers read back.
 */
final class Wire {
    /** AMQP delivery mode 2: the broker writes the message to disk before it confirms it. */
    static final int PERSISTENT = 2;

    private Wire() {}

    /** The properties a message with {@code envelope} is published with. */
    static AMQP.BasicProperties properties(Envelope envelope) {
        Map<String, Object> headers = new LinkedHashMap<>(envelope.toHeaders());
        return new AMQP.BasicProperties.Builder()
                .messageId(envelope.messageId().toString())
                .type(envelope.type())
                .contentType(envelope.contentType())
                .appId(envelope.source())
                .timestamp(Date.from(envelope.createdAt()))
                .deliveryMode(PERSISTENT)
                .headers(headers)
                .build();
    }

    /**
     * The envelope of a delivered message.
     *
     * @throws InvalidMessageException naming what is missing or malformed, for a message not published by an outbox
     *     relay
     */
    static Envelope envelope(String routingKey, AMQP.BasicProperties properties) {
        if (routingKey == null || routingKey.isBlank()) {
            throw new InvalidMessageException("the message has no routing key, so no topic");
        }
        return Envelope.fromHeaders(routingKey, stringHeaders(properties.getHeaders()));
    }

    /**
     * AMQP header values as strings: text as text, numbers and booleans in their decimal form; nested tables, arrays
     * and byte arrays (which no outbox header is) are left out.
     */
    static Map<String, String> stringHeaders(Map<String, Object> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        if (headers == null) {
            return out;
        }
        headers.forEach((name, value) -> {
            if (value instanceof LongString || value instanceof String) {
                out.put(name, value.toString());
            } else if (value instanceof Number || value instanceof Boolean || value instanceof Character) {
                out.put(name, String.valueOf(value));
            } else if (value instanceof Date d) {
                out.put(name, d.toInstant().toString());
            }
        });
        return out;
    }
}
