package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeTest {
    private static final Instant CREATED = Instant.parse("2026-03-01T10:15:30.123456Z");
    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    private final Envelope envelope = new Envelope(
            new MessageId(42),
            "warehouse",
            TOPIC,
            "sku-7",
            "ProductAdded",
            "application/json",
            CREATED,
            Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

    @Test
    void writesTheEnvelopeAsStringHeaders() {
        assertThat(envelope.toHeaders())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "message_id", "42",
                        "source", "warehouse",
                        "type", "ProductAdded",
                        "content_type", "application/json",
                        "created_at", "2026-03-01T10:15:30.123456Z",
                        "partition_key", "sku-7",
                        "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
    }

    @Test
    void readsBackWhatItWrote() {
        assertThat(Envelope.fromHeaders(TOPIC, envelope.toHeaders())).isEqualTo(envelope);
    }

    @Test
    void aMessageWithoutKeyHasNoKeyHeader() {
        Envelope keyless = new Envelope(
                new MessageId(1), "warehouse", TOPIC, null, "ProductAdded", "application/json", CREATED, null);

        assertThat(keyless.toHeaders()).doesNotContainKey("partition_key");
        assertThat(keyless.headers()).isEmpty();
        assertThat(Envelope.fromHeaders(TOPIC, keyless.toHeaders())).isEqualTo(keyless);
    }

    @ParameterizedTest
    @ValueSource(strings = {"message_id", "source", "type", "content_type", "created_at"})
    void refusesHeadersMissingARequiredField(String field) {
        Map<String, String> wire = new HashMap<>(envelope.toHeaders());
        wire.remove(field);

        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, wire))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header " + field + " is missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"message_id", "source", "type", "content_type", "created_at"})
    void refusesABlankRequiredField(String field) {
        Map<String, String> wire = new HashMap<>(envelope.toHeaders());
        wire.put(field, " ");

        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, wire))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header " + field + " is missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0", "-5", "1.5", "99999999999999999999"})
    void refusesAMalformedMessageId(String id) {
        Map<String, String> wire = new HashMap<>(envelope.toHeaders());
        wire.put("message_id", id);

        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, wire))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header message_id is malformed: '" + id + "'");
    }

    @Test
    void refusesAMalformedCreationTime() {
        Map<String, String> wire = new HashMap<>(envelope.toHeaders());
        wire.put("created_at", "yesterday");

        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, wire))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header created_at is malformed: 'yesterday'");
    }

    @Test
    void refusesMalformedUserHeadersAndTopics() {
        Map<String, String> nullValue = new HashMap<>(envelope.toHeaders());
        nullValue.put("tenant", null);
        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, nullValue))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header 'tenant' must have a string value");
        assertThatThrownBy(() -> Envelope.fromHeaders(" ", envelope.toHeaders()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("topic must not be blank");
        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("headers must not be null");
    }

    @Test
    void refusesUserHeadersThatUseAnEnvelopeName() {
        assertThatThrownBy(() -> new Envelope(
                        new MessageId(1), "s", TOPIC, null, "T", "text/plain", CREATED, Map.of("source", "spoofed")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header 'source' is reserved");
    }

    @Test
    void validatesItsFields() {
        assertThatThrownBy(() -> new Envelope(new MessageId(1), "", TOPIC, null, "T", "text/plain", CREATED, Map.of()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("source must not be blank");
        assertThatThrownBy(() -> new Envelope(new MessageId(1), "s", TOPIC, null, "T", " ", CREATED, Map.of()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("contentType must not be blank");
    }

    @Test
    void aDeadLetterKeepsItsEnvelopeReadableWhateverTheErrorAndHeaderCount() {
        Map<String, String> wire = new java.util.HashMap<>(envelope.toHeaders());
        for (int i = 0; i < Message.MAX_HEADERS; i++) {
            wire.put("h" + i, "v");
        }
        String error = DeadLetterHeaders.error(new IllegalStateException("ERROR: duplicate key\r\n  Detail: \u0000x"));
        wire.put(DeadLetterHeaders.ERROR, error);

        assertThat(error).isEqualTo("ERROR: duplicate key\\u000D\\u000A  Detail: \\u0000x");
        assertThat(Envelope.fromHeaders(TOPIC, wire).headers())
                .containsEntry(DeadLetterHeaders.ERROR, error)
                .hasSize(Message.MAX_HEADERS + 2);
    }

    @Test
    void anEnvelopeRefusesControlCharactersInHeadersAsAMessageDoes() {
        Map<String, String> wire = new java.util.HashMap<>(envelope.toHeaders());
        wire.put("tenant", "acme\r\nforged");

        assertThatThrownBy(() -> Envelope.fromHeaders(TOPIC, wire))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("U+000D");
    }
}
