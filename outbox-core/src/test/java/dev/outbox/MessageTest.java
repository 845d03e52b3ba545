package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageTest {
    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    @Test
    void equalMessagesHaveEqualPayloadContentsNotTheSameArray() {
        Message a = new Message(TOPIC, "k", "T", "text/plain", new byte[] {1, 2, 3}, Map.of("h", "1", "g", "2"));
        Map<String, String> reordered = new LinkedHashMap<>();
        reordered.put("g", "2");
        reordered.put("h", "1");
        Message b = new Message(TOPIC, "k", "T", "text/plain", new byte[] {1, 2, 3}, reordered);

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new Message(TOPIC, "k", "T", "text/plain", new byte[] {1, 2, 4}, Map.of()));
        assertThat(a).isNotEqualTo(new Message(TOPIC, null, "T", "text/plain", new byte[] {1, 2, 3}, a.headers()));
        assertThat(a).isNotEqualTo(new Message(TOPIC, "k", "U", "text/plain", new byte[] {1, 2, 3}, a.headers()));
        assertThat(a).isNotEqualTo(new Message(TOPIC, "k", "T", "text/plain", new byte[] {1, 2, 3}, Map.of()));
    }

    @Test
    void copiesThePayloadInAndOut() {
        byte[] bytes = {1, 2, 3};
        Message m = new Message(TOPIC, null, "T", "application/octet-stream", bytes, null);

        bytes[0] = 9;
        assertThat(m.payload()).containsExactly(1, 2, 3);
        m.payload()[1] = 9;
        assertThat(m.payload()).containsExactly(1, 2, 3);
        assertThat(m.payloadSize()).isEqualTo(3);
    }

    @Test
    void copiesTheHeadersAndKeepsThemImmutable() {
        Map<String, String> headers = new HashMap<>(Map.of("tenant", "eu"));
        Message m = new Message(TOPIC, null, "T", "text/plain", new byte[0], headers);

        headers.put("tenant", "us");
        assertThat(m.headers()).containsExactly(Map.entry("tenant", "eu"));
        assertThatThrownBy(() -> m.headers().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new Message(TOPIC, null, "T", "text/plain", new byte[0], null).headers())
                .isEmpty();
    }

    @Test
    void theBuilderBuildsTheSameMessage() {
        Message built = Message.builder(TOPIC)
                .key("k")
                .type("T")
                .payload("héllo", "text/plain")
                .header("a", "1")
                .headers(Map.of("b", "2"))
                .headers(null)
                .build();

        assertThat(built)
                .isEqualTo(new Message(
                        TOPIC,
                        "k",
                        "T",
                        "text/plain",
                        "héllo".getBytes(StandardCharsets.UTF_8),
                        Map.of("a", "1", "b", "2")));
    }

    @Test
    void theBuilderNamesTheMissingField() {
        assertThatThrownBy(
                        () -> Message.builder(TOPIC).payload(new byte[0], "x/y").build())
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("type must not be null");
        assertThatThrownBy(() -> Message.builder(TOPIC).type("T").build())
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("payload must not be null");
        assertThatThrownBy(() -> Message.builder(TOPIC).type("T").payload((String) null, "text/plain"))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("payload must not be null");
        assertThatThrownBy(() -> Message.builder(TOPIC)
                        .type("T")
                        .payload(new byte[0], null)
                        .build())
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("contentType must not be null");
        assertThatThrownBy(() -> Message.builder(null)
                        .type("T")
                        .payload(new byte[0], "x/y")
                        .build())
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("topic must not be null");
    }

    @Test
    void refusesFieldsOverTheirLimits() {
        assertThatThrownBy(() -> new Message(TOPIC, "k".repeat(1025), "T", "x/y", new byte[0], null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("key must be at most 1024 characters, was 1025");
        assertThatThrownBy(() -> new Message(TOPIC, null, "T".repeat(256), "x/y", new byte[0], null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("type must be at most 255 characters");
        assertThatThrownBy(() -> new Message(TOPIC, null, "T", "x/y", new byte[0], Map.of("h".repeat(256), "v")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header name must be at most 255 bytes in UTF-8");
        assertThat(new Message("t".repeat(Message.MAX_TOPIC_LENGTH), null, "T", "x/y", new byte[0], null).topic())
                .hasSize(249);
    }

    @Test
    void describesItselfWithoutThePayload() {
        Message m = new Message(TOPIC, "k", "T", "text/plain", "secret".getBytes(StandardCharsets.UTF_8), null);

        assertThat(m.toString()).contains("6 bytes").doesNotContain("secret");
    }
}
