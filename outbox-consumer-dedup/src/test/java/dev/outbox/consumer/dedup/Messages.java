package dev.outbox.consumer.dedup;

import dev.outbox.Envelope;
import dev.outbox.IncomingMessage;
import dev.outbox.MessageId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/** Incoming messages as a subscriber would deliver them. */
final class Messages {
    private Messages() {}

    static IncomingMessage message(String source, long id) {
        return message(source, id, 1);
    }

    static IncomingMessage message(String source, long id, int deliveryAttempt) {
        Envelope envelope = new Envelope(
                new MessageId(id),
                source,
                "Warehouse.Events.ProductAdded",
                "product-" + id,
                "ProductAdded",
                "application/json",
                Instant.parse("2026-01-01T00:00:00Z"),
                Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        return new IncomingMessage(envelope, ("{\"id\":" + id + "}").getBytes(StandardCharsets.UTF_8), deliveryAttempt);
    }
}
