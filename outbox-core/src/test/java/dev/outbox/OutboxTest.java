package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.fake.FakeConnection;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.SerializedPayload;
import dev.outbox.spi.StoredMessage;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What {@link Outbox} and its {@link Appender} accept and refuse; refusals happen before anything is written. */
class OutboxTest {
    private static final int LANES = 16;
    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    private final InMemoryMessageStore store = InMemoryMessageStore.create(LANES);
    private final TextSerializer serializer = new TextSerializer();
    private final Outbox outbox = Outbox.builder()
            .store(store)
            .serializer(serializer)
            .maxPayloadBytes(64)
            .build();
    private final Connection tx = FakeConnection.inTransaction();

    /** Writes {@code toString()} as text; counts its calls. */
    static final class TextSerializer implements MessageSerializer {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public SerializedPayload serialize(String type, Object value) {
            calls.incrementAndGet();
            return SerializedPayload.of(value.toString().getBytes(StandardCharsets.UTF_8), "text/plain");
        }

        @Override
        public <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target) {
            throw new UnsupportedOperationException();
        }
    }

    record ProductAdded(String sku) implements Keyed {
        @Override
        public String partitionKey() {
            return sku;
        }
    }

    @EventType("ProductQuantityIncreased")
    record QuantityIncreased(String sku, int quantity) {}

    @EventType(" ")
    record BlankName() {}

    record Unkeyed(String sku) {}

    record NullKey() implements Keyed {
        @Override
        public String partitionKey() {
            return null;
        }
    }

    // --- messages --------------------------------------------------------------------------------------------

    @Test
    void appendsAMessageToTheLaneOfItsKey() {
        MessageId id = outbox.in(tx)
                .append(Message.builder(TOPIC)
                        .key("sku-42")
                        .type("ProductAdded")
                        .payload("{}", "application/json")
                        .header("traceparent", "00-abc-01")
                        .build());

        StoredMessage stored = store.find(id.value()).orElseThrow();
        assertThat(stored.lane()).isEqualTo(Lanes.laneOf(TOPIC, "sku-42", LANES));
        assertThat(stored.topic()).isEqualTo(TOPIC);
        assertThat(stored.key()).isEqualTo("sku-42");
        assertThat(stored.type()).isEqualTo("ProductAdded");
        assertThat(stored.contentType()).isEqualTo("application/json");
        assertThat(stored.headers()).isEqualTo(Map.of("traceparent", "00-abc-01"));
        assertThat(stored.attempts()).isZero();
    }

    @Test
    void headersOfTheCallersContextAreAddedAndGivenHeadersWin() {
        java.util.concurrent.atomic.AtomicReference<String> current =
                new java.util.concurrent.atomic.AtomicReference<>("00-aaa-01");
        Outbox traced = Outbox.builder()
                .store(store)
                .contextHeaders(() -> Map.of("traceparent", current.get(), "tenant", "t1"))
                .build();

        MessageId fromContext = traced.in(tx).append(message("a"));
        current.set("00-bbb-01");
        MessageId overridden = traced.in(tx)
                .withHeaders(Map.of("tenant", "t2"))
                .append(Message.builder(TOPIC)
                        .type("T")
                        .payload("x", "text/plain")
                        .header("traceparent", "00-given-01")
                        .build());

        assertThat(store.find(fromContext.value()).orElseThrow().headers())
                .isEqualTo(Map.of("traceparent", "00-aaa-01", "tenant", "t1"));
        assertThat(store.find(overridden.value()).orElseThrow().headers())
                .isEqualTo(Map.of("traceparent", "00-given-01", "tenant", "t2"));
    }

    @Test
    void aContextHeaderThatCannotTravelIsRefusedAtTheCall() {
        Outbox bad = Outbox.builder()
                .store(store)
                .contextHeaders(() -> Map.of("message_id", "7"))
                .build();
        assertThatThrownBy(() -> bad.in(tx))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("contextHeaders")
                .hasMessageContaining("reserved");
        assertThatThrownBy(
                        () -> Outbox.builder().store(store).contextHeaders(null).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("contextHeaders");
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void appendsSeveralInListOrder() {
        List<MessageId> ids = outbox.in(tx).appendAll(List.of(message("a"), message("b"), message("c")));

        assertThat(ids).extracting(MessageId::value).isSorted().doesNotHaveDuplicates();
        assertThat(store.waitingIds())
                .containsExactlyElementsOf(ids.stream().map(MessageId::value).toList());
        assertThat(store.appendCalls()).as("one statement").isEqualTo(1);
    }

    @Test
    void appendingNothingWritesNothing() {
        assertThat(outbox.in(tx).appendAll(List.of())).isEmpty();
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void refusesANullMessageOrList() {
        Appender appender = outbox.in(tx);

        assertThatThrownBy(() -> appender.append(null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("message must not be null");
        assertThatThrownBy(() -> appender.appendAll(null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("messages must not be null");
        assertThatThrownBy(() -> appender.appendAll(java.util.Arrays.asList(message("a"), null)))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("messages[1]");
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void refusesAPayloadOverTheLimitAndWritesNoneOfTheBatch() {
        Message fits =
                Message.builder(TOPIC).type("T").payload(new byte[64], "x/y").build();
        Message tooBig =
                Message.builder(TOPIC).type("T").payload(new byte[65], "x/y").build();

        assertThatThrownBy(() -> outbox.in(tx).appendAll(List.of(fits, tooBig)))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("65 bytes")
                .hasMessageContaining("maxPayloadBytes of 64");
        assertThat(store.appendCalls()).isZero();

        outbox.in(tx).append(fits);
        assertThat(store.waitingIds()).hasSize(1);
    }

    @Test
    void refusesAnEventThatSerializesOverTheLimit() {
        assertThatThrownBy(() -> outbox.in(tx).event(TOPIC, "k", "x".repeat(65)))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("maxPayloadBytes");
        assertThat(store.appendCalls()).isZero();
    }

    // --- the transaction -------------------------------------------------------------------------------------

    @Test
    void refusesAConnectionOutsideATransaction() {
        assertThatThrownBy(() -> outbox.in(null))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("must not be null");
        assertThatThrownBy(() -> outbox.in(FakeConnection.autoCommit()))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("auto-commit");
        assertThatThrownBy(() -> outbox.in(FakeConnection.closed()))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("closed");
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void aConnectionWhoseStateCannotBeReadIsAStoreFailure() {
        assertThatThrownBy(() -> outbox.in(FakeConnection.broken()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("transaction state")
                .hasCauseInstanceOf(java.sql.SQLException.class);
    }

    // --- topics, keys, headers -------------------------------------------------------------------------------

    @Test
    void refusesABadTopicBeforeSerializing() {
        Appender appender = outbox.in(tx);

        assertThatThrownBy(() -> appender.event(null, "k", new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("topic must not be null");
        assertThatThrownBy(() -> appender.event("  ", "k", new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("topic must not be blank");
        assertThatThrownBy(() -> appender.event("t".repeat(250), "k", new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("topic must be at most 249 characters");
        assertThatThrownBy(() -> appender.event("a\nb", "k", new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("topic must not contain control, formatting or separator characters");
        assertThatThrownBy(() -> appender.event(TOPIC, " ", new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("key must not be blank");
        assertThat(serializer.calls).hasValue(0);
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void refusesHeadersThatAreNotStringPairs() {
        Map raw = new HashMap();
        raw.put("attempt", 3);
        assertThatThrownBy(() -> message((Map<String, String>) raw))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header 'attempt' must have a string value");

        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("tenant", null);
        assertThatThrownBy(() -> message(nullValue))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header 'tenant' must have a string value, got null");

        Map rawKey = new HashMap();
        rawKey.put(7, "x");
        assertThatThrownBy(() -> outbox.in(tx).withHeaders((Map<String, String>) rawKey))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header names must be non-blank strings");
        assertThatThrownBy(() -> message(Map.of(" ", "x")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header names must be non-blank strings");
    }

    @Test
    void refusesHeadersReservedForTheEnvelope() {
        for (String reserved : Envelope.RESERVED_HEADERS) {
            assertThatThrownBy(() -> message(Map.of(reserved, "1")))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("header '" + reserved + "' is reserved");
        }
        assertThatThrownBy(() -> message(Map.of("Message_ID", "1")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> outbox.in(tx).withHeaders(Map.of("source", "spoofed")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header 'source' is reserved");
    }

    @Test
    void defaultHeadersApplyToEveryMessageAndTheMessageWins() {
        Appender appender = outbox.in(tx).withHeaders(Map.of("traceparent", "00-t-01", "tenant", "eu"));

        MessageId id = appender.append(message(Map.of("tenant", "us")));
        MessageId event = appender.withHeaders(Map.of("region", "west")).event(TOPIC, "k", new Unkeyed("a"));

        assertThat(store.find(id.value()).orElseThrow().headers())
                .isEqualTo(Map.of("traceparent", "00-t-01", "tenant", "us"));
        assertThat(store.find(event.value()).orElseThrow().headers())
                .isEqualTo(Map.of("traceparent", "00-t-01", "tenant", "eu", "region", "west"));
    }

    // --- events, entities, notifications ---------------------------------------------------------------------

    @Test
    void namesAnEventAfterItsClassOrItsEventType() {
        MessageId plain = outbox.in(tx).event(TOPIC, new Unkeyed("a"));
        MessageId named = outbox.in(tx).event(TOPIC, "sku-1", new QuantityIncreased("sku-1", 5));
        MessageId explicit = outbox.in(tx).event(TOPIC, "sku-1", "Custom.Name", new Unkeyed("b"));

        assertThat(store.find(plain.value()).orElseThrow().type()).isEqualTo("Unkeyed");
        assertThat(store.find(plain.value()).orElseThrow().key()).isNull();
        assertThat(store.find(named.value()).orElseThrow().type()).isEqualTo("ProductQuantityIncreased");
        assertThat(store.find(explicit.value()).orElseThrow().type()).isEqualTo("Custom.Name");
        assertThat(store.find(explicit.value()).orElseThrow().contentType()).isEqualTo("text/plain");
    }

    @Test
    void aKeyedEventIsKeyedByItsPartitionKey() {
        MessageId id = outbox.in(tx).event(TOPIC, new ProductAdded("sku-7"));

        StoredMessage stored = store.find(id.value()).orElseThrow();
        assertThat(stored.key()).isEqualTo("sku-7");
        assertThat(stored.lane()).isEqualTo(Lanes.laneOf(TOPIC, "sku-7", LANES));
        assertThat(new String(stored.payload(), StandardCharsets.UTF_8)).isEqualTo("ProductAdded[sku=sku-7]");
    }

    @Test
    void refusesABlankEventTypeAnAnonymousClassAndANullEvent() {
        Appender appender = outbox.in(tx);

        assertThatThrownBy(() -> appender.event(TOPIC, new BlankName()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("@EventType on " + BlankName.class.getName() + " must not be blank");
        Object anonymous = new Object() {
            @Override
            public String toString() {
                return "anonymous";
            }
        };
        assertThatThrownBy(() -> appender.event(TOPIC, anonymous))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("anonymous")
                .hasMessageContaining("@EventType");
        assertThatThrownBy(() -> appender.event(TOPIC, "k", null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("event must not be null");
        assertThatThrownBy(() -> appender.event(TOPIC, "k", " ", new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("type must not be blank");
        assertThatThrownBy(() -> appender.event(TOPIC, new NullKey()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("partitionKey() returned null");
        assertThat(store.appendCalls()).isZero();

        // With an explicit type name, an anonymous object is fine.
        appender.event(TOPIC, "k", "Anonymous", anonymous);
        assertThat(store.waitingIds()).hasSize(1);
    }

    @Test
    void anEntityChangeIsTypedAndKeyedByTheEntity() {
        MessageId created = outbox.in(tx).entity(TOPIC, EntityChange.CREATED, new ProductAdded("sku-9"));
        MessageId destroyed = outbox.in(tx).entity(TOPIC, EntityChange.DESTROYED, new ProductAdded("sku-9"));

        assertThat(store.find(created.value()).orElseThrow().type()).isEqualTo("ProductAdded.created");
        assertThat(store.find(destroyed.value()).orElseThrow().type()).isEqualTo("ProductAdded.destroyed");
        assertThat(store.find(created.value()).orElseThrow().key()).isEqualTo("sku-9");
    }

    @Test
    void refusesAnEntityThatIsNotKeyed() {
        assertThatThrownBy(() -> outbox.in(tx).entity(TOPIC, EntityChange.UPDATED, new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining(Unkeyed.class.getName())
                .hasMessageContaining("must implement dev.outbox.Keyed");
        assertThatThrownBy(() -> outbox.in(tx).entity(TOPIC, null, new ProductAdded("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("change must not be null");
        assertThatThrownBy(() -> outbox.in(tx).entity(TOPIC, EntityChange.CREATED, null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("entity must not be null");
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void aNotificationIsKeyedByItsRecipient() {
        MessageId id = outbox.in(tx).notification("Notifications", "user-3", new Unkeyed("hello"));

        assertThat(store.find(id.value()).orElseThrow().key()).isEqualTo("user-3");
        assertThatThrownBy(() -> outbox.in(tx).notification("Notifications", " ", new Unkeyed("hello")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("recipient must not be blank");
        assertThatThrownBy(() -> outbox.in(tx).notification("Notifications", "user-3", null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessage("payload must not be null");
    }

    // --- serializers -----------------------------------------------------------------------------------------

    @Test
    void aSerializerFailureIsAnInvalidMessageNamingTheClassAndType() {
        MessageSerializer failing = throwing(new IllegalStateException("no serializer for field 'price'"));
        Outbox withFailing = Outbox.builder().store(store).serializer(failing).build();

        assertThatThrownBy(() -> withFailing.in(tx).event(TOPIC, new Unkeyed("a")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining(Unkeyed.class.getName())
                .hasMessageContaining("as Unkeyed")
                .hasMessageContaining("no serializer for field 'price'")
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void aSerializersOwnRefusalPassesThrough() {
        InvalidMessageException refusal = new InvalidMessageException("does not fit schema v3");
        MessageSerializer refusing = throwing(refusal);
        Outbox withRefusing = Outbox.builder().store(store).serializer(refusing).build();

        assertThatThrownBy(() -> withRefusing.in(tx).event(TOPIC, new Unkeyed("a")))
                .isSameAs(refusal);
    }

    @Test
    void withoutASerializerOnlyPlainMessagesCanBeAppended() {
        Outbox plain = Outbox.builder().store(store).build();

        assertThatThrownBy(() -> plain.in(tx).event(TOPIC, new Unkeyed("a")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("serializer");
        plain.in(tx).append(message("a"));
        assertThat(store.waitingIds()).hasSize(1);
    }

    // --- the builder -----------------------------------------------------------------------------------------

    @Test
    void theBuilderNamesTheBadSetting() {
        assertThatThrownBy(() -> Outbox.builder().build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("store must not be null");
        assertThatThrownBy(
                        () -> Outbox.builder().store(store).maxPayloadBytes(0).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("maxPayloadBytes must be between 1 and 268435456, was 0");
    }

    @Test
    void theBuilderHasDocumentedDefaults() {
        Outbox built = Outbox.builder().store(store).build();

        assertThat(built.maxPayloadBytes())
                .isEqualTo(Outbox.Builder.DEFAULT_MAX_PAYLOAD_BYTES)
                .isEqualTo(1 << 20);
        assertThat(built.store()).isSameAs(store);
        assertThat(outbox.serializer()).isSameAs(serializer);
    }

    private static MessageSerializer throwing(RuntimeException error) {
        return new MessageSerializer() {
            @Override
            public SerializedPayload serialize(String type, Object value) {
                throw error;
            }

            @Override
            public <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target) {
                throw error;
            }
        };
    }

    private static Message message(String text) {
        return Message.builder(TOPIC)
                .key("k")
                .type("T")
                .payload(text, "text/plain")
                .build();
    }

    private static Message message(Map<String, String> headers) {
        return new Message(TOPIC, "k", "T", "text/plain", new byte[0], headers);
    }
}
