package dev.outbox.broker.rabbit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.LongStringHelper;
import dev.outbox.Envelope;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageId;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireTest {
    private final Envelope envelope = new Envelope(
            new MessageId(42),
            "warehouse",
            "Warehouse.Events.ProductQuantityIncreased",
            "sku-1",
            "ProductQuantityIncreased",
            "application/json",
            Instant.parse("2026-01-02T03:04:05.123456Z"),
            Map.of("traceparent", "00-abc-def-01"));

    @Test
    void theEnvelopeGoesIntoPropertiesAndHeaders() {
        AMQP.BasicProperties p = Wire.properties(envelope);

        assertThat(p.getMessageId()).isEqualTo("42");
        assertThat(p.getType()).isEqualTo("ProductQuantityIncreased");
        assertThat(p.getContentType()).isEqualTo("application/json");
        assertThat(p.getAppId()).isEqualTo("warehouse");
        assertThat(p.getDeliveryMode()).isEqualTo(2);
        assertThat(p.getTimestamp().toInstant()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123Z"));
        assertThat(p.getHeaders())
                .containsAllEntriesOf(Map.of(
                        "message_id", "42",
                        "source", "warehouse",
                        "partition_key", "sku-1",
                        "created_at", "2026-01-02T03:04:05.123456Z",
                        "traceparent", "00-abc-def-01"));
    }

    @Test
    void itComesBackFromTheWireAsTheClientDeliversIt() {
        Map<String, Object> delivered = new HashMap<>();
        Wire.properties(envelope)
                .getHeaders()
                .forEach((k, v) -> delivered.put(k, LongStringHelper.asLongString(v.toString())));
        AMQP.BasicProperties p =
                new AMQP.BasicProperties.Builder().headers(delivered).build();

        assertThat(Wire.envelope(envelope.topic(), p)).isEqualTo(envelope);
    }

    @Test
    void headerValuesOfOtherTypesBecomeText() {
        Map<String, Object> headers = new HashMap<>();
        headers.put("count", 3);
        headers.put("flag", true);
        headers.put("x-death", List.of(Map.of("count", 1)));
        headers.put("nothing", null);

        assertThat(Wire.stringHeaders(headers)).containsOnly(Map.entry("count", "3"), Map.entry("flag", "true"));
    }

    @Test
    void aMessageWithoutEnvelopeIsInvalid() {
        AMQP.BasicProperties bare = new AMQP.BasicProperties.Builder().build();

        assertThatThrownBy(() -> Wire.envelope("Warehouse.Events.X", bare))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("message_id");
        assertThatThrownBy(() -> Wire.envelope("", bare))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("routing key");
    }
}
