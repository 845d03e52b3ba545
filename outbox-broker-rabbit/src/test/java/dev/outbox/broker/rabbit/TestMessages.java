package dev.outbox.broker.rabbit;

import dev.outbox.Envelope;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** Outgoing messages as the relay makes them. */
final class TestMessages {
    static final String SOURCE = "warehouse";
    static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private TestMessages() {}

    /** Message {@code id} to {@code topic} with partition key {@code key}, payload {@code m-<id>}. */
    static OutgoingMessage message(long id, String topic, String key) {
        Envelope envelope = new Envelope(
                new MessageId(id),
                SOURCE,
                topic,
                key,
                topic.substring(topic.lastIndexOf('.') + 1),
                "application/json",
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                Map.of("traceparent", TRACEPARENT, "tenant", "acme"));
        return new OutgoingMessage(envelope, payload(id), (int)
                (Math.abs((long) String.valueOf(key).hashCode()) % 64));
    }

    static byte[] payload(long id) {
        return ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8);
    }
}
