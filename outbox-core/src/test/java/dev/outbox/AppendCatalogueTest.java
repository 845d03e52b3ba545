package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.fake.FakeConnection;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.SerializedPayload;
import dev.outbox.spi.TopicRules;
import dev.outbox.spi.Validation;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad input at the append: every case is refused with the exception type it names and a message that
 * names the offending field or value, nothing reaches the store, and the same transaction then takes a good message.
 */
class AppendCatalogueTest {
    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    /** Rules of a broker that takes no topic containing a space, as Kafka. */
    private static final TopicRules NO_SPACES = topic -> {
        if (topic.contains(" ")) {
            throw new InvalidMessageException("topic " + Validation.quote(topic) + " has a space");
        }
    };

    private final InMemoryMessageStore store = InMemoryMessageStore.create(8);
    private final Outbox outbox = Outbox.builder()
            .store(store)
            .serializer(new dev.outbox.spi.MessageSerializer() {
                @Override
                public SerializedPayload serialize(String type, Object value) {
                    return SerializedPayload.of(value.toString().getBytes(StandardCharsets.UTF_8), "text/plain");
                }

                @Override
                public <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target) {
                    throw new UnsupportedOperationException();
                }
            })
            .maxPayloadBytes(20_000)
            .topicRules(NO_SPACES)
            .build();
    private final Connection tx = FakeConnection.inTransaction();

    record Case(Class<? extends RuntimeException> type, String names, Consumer<Appender> call) {}

    private static Arguments bad(String name, String names, Consumer<Appender> call) {
        return Arguments.of(Named.of(name, new Case(InvalidMessageException.class, names, call)));
    }

    private static Message withHeader(String name, String value) {
        return Message.builder(TOPIC)
                .type("T")
                .payload(new byte[1], "x/y")
                .header(name, value)
                .build();
    }

    private static Map<String, String> headers(int count, int valueLength) {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            h.put("h" + i, "v".repeat(valueLength));
        }
        return h;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                bad("CR in a header name", "U+000D", a -> a.append(withHeader("x\rInjected", "v"))),
                bad("LF in a header name", "U+000A", a -> a.append(withHeader("x\nInjected", "v"))),
                bad("NUL in a header name", "U+0000", a -> a.append(withHeader("x\u0000", "v"))),
                bad("right-to-left override in a header name", "U+202E", a -> a.append(withHeader("x\u202E", "v"))),
                bad("CR LF in a header value", "U+000D", a -> a.append(withHeader("x", "a\r\nSet-Cookie: b"))),
                bad("NUL in a header value", "U+0000", a -> a.append(withHeader("x", "a\u0000b"))),
                bad("BEL in a header value", "U+0007", a -> a.append(withHeader("x", "a\u0007"))),
                bad("line separator in a header value", "U+2028", a -> a.append(withHeader("x", "a\u2028b"))),
                bad("unpaired surrogate in a header value", "U+D800", a -> a.append(withHeader("x", "a\uD800"))),
                bad(
                        "unpaired surrogate in a key",
                        "key must not contain an unpaired surrogate (U+DC00",
                        a -> a.append(Message.builder(TOPIC)
                                .key("sku-\uDC00")
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .build())),
                bad(
                        "NUL in a key",
                        "key must not contain control characters",
                        a -> a.append(Message.builder(TOPIC)
                                .key("sku\u0000")
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .build())),
                bad(
                        "header name over 255 bytes",
                        "header name must be at most 255 bytes",
                        a -> a.append(withHeader("é".repeat(128), "v"))),
                bad(
                        "too many headers",
                        "headers must be at most 64, were 65",
                        a -> a.append(Message.builder(TOPIC)
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .headers(headers(65, 1))
                                .build())),
                bad(
                        "headers over 16 KiB",
                        "headers must take at most 16384 bytes",
                        a -> a.append(Message.builder(TOPIC)
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .headers(headers(2, 8200))
                                .build())),
                bad(
                        "payload and headers over maxPayloadBytes",
                        "headers of 10002 bytes",
                        a -> a.append(Message.builder(TOPIC)
                                .type("T")
                                .payload(new byte[10_000], "x/y")
                                .headers(headers(2, 4999))
                                .build())),
                bad("bad header through withHeaders", "U+000A", a -> a.withHeaders(Map.of("x", "a\nb"))),
                bad("withHeaders merged over the limit", "headers must take at most 16384 bytes", a -> a.withHeaders(
                                Map.of("a", "v".repeat(9000)))
                        .withHeaders(Map.of("b", "v".repeat(9000)))),
                bad("reserved header", "message_id", a -> a.append(withHeader("message_id", "1"))),
                bad(
                        "topic the broker refuses",
                        "'a b'",
                        a -> a.append(Message.builder("a b")
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .build())),
                bad("topic the broker refuses, as an event", "'a b'", a -> a.event("a b", "k", "payload")),
                bad("right-to-left override in a topic", "U+202E", a -> a.event("Orders\u202E", "k", "payload")),
                bad("zero-width space in a type", "U+200B", a -> a.event(TOPIC, "k", "Type\u200B", "payload")),
                bad("NUL in a key", "key must not contain control characters", a -> a.event(TOPIC, "k\u0000", "p")),
                bad(
                        "null in a batch",
                        "messages[1]",
                        a -> a.appendAll(java.util.Arrays.asList(withHeader("x", "v"), null))));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void refusesAtTheAppendAndWritesNothing(Case c) {
        Appender appender = outbox.in(tx);

        assertThatThrownBy(() -> c.call().accept(appender))
                .isInstanceOf(c.type())
                .hasMessageContaining(c.names());

        assertThat(store.appendCalls()).as("nothing reached the store").isZero();
        outbox.in(tx).append(withHeader("x", "v"));
        assertThat(store.waitingIds())
                .as("the transaction still takes a good message")
                .hasSize(1);
    }

    @ParameterizedTest
    @MethodSource("contextCases")
    void refusesBadContextHeadersWhenTheAppenderOpens(Map<String, String> context, String names) {
        Outbox withContext =
                Outbox.builder().store(store).contextHeaders(() -> context).build();

        assertThatThrownBy(() -> withContext.in(tx))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("contextHeaders")
                .hasMessageContaining(names);
        assertThat(store.appendCalls()).isZero();
    }

    static Stream<Arguments> contextCases() {
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("traceparent", null);
        return Stream.of(
                Arguments.of(Map.of("traceparent", "00-a\r\n"), "U+000D"),
                Arguments.of(nullValue, "traceparent"),
                Arguments.of(headers(65, 1), "at most 64"));
    }

    @ParameterizedTest
    @MethodSource("configurationCases")
    void refusesBadConfigurationAtBuild(Runnable build, String names) {
        assertThatThrownBy(build::run)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(names);
    }

    static Stream<Arguments> configurationCases() {
        InMemoryMessageStore store = InMemoryMessageStore.create(4);
        return Stream.of(
                Arguments.of(
                        (Runnable) () ->
                                Outbox.builder().store(store).topicRules(null).build(),
                        "topicRules must not be null"),
                Arguments.of(
                        (Runnable) () -> Outbox.builder()
                                .store(store)
                                .maxPayloadBytes(Outbox.Builder.MAX_PAYLOAD_BYTES + 1)
                                .build(),
                        "maxPayloadBytes"),
                Arguments.of(
                        (Runnable) () -> SubscriptionSpec.builder("s").patterns("a", null),
                        "patterns[1] must not be null"),
                Arguments.of(
                        (Runnable) () -> dev.outbox.spi.PartitionMonitor.all(
                                java.util.Arrays.asList(dev.outbox.spi.PartitionMonitor.NOOP, null)),
                        "monitors[1] must not be null"),
                Arguments.of(
                        (Runnable) () -> RelayListener.all(java.util.Arrays.asList(null, RelayListener.NOOP)),
                        "listeners[0] must not be null"),
                Arguments.of(
                        (Runnable) () -> SubscriptionSpec.builder("s").patterns((String[]) null),
                        "patterns must not be null"),
                Arguments.of(
                        (Runnable) () -> SubscriptionSpec.builder("s")
                                .patterns("Orders.\r\nforged")
                                .build(),
                        "patterns[0]"),
                Arguments.of(
                        (Runnable) () -> Relay.builder()
                                .store(store)
                                .broker(new dev.outbox.fake.FakeBroker())
                                .source("svc")
                                .id("relay\r\n2026-01-01 INFO forged")
                                .build(),
                        "id must not contain control"),
                Arguments.of(
                        (Runnable) () -> Relay.builder()
                                .store(store)
                                .broker(new dev.outbox.fake.FakeBroker())
                                .source("svc\u001b[31m")
                                .build(),
                        "source must not contain control"),
                Arguments.of(
                        (Runnable) () -> Relay.builder()
                                .store(store)
                                .broker(new dev.outbox.fake.FakeBroker())
                                .source("svc")
                                .lease(java.time.Duration.ofDays(365_000))
                                .build(),
                        "lease must be at most"));
    }
}
