package dev.outbox.serializer.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.jsontype.impl.LaissezFaireSubTypeValidator;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.spi.SerializedPayload;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JacksonMessageSerializerTest {
    private final JacksonMessageSerializer serializer = JacksonMessageSerializer.create();

    enum Status {
        PLACED,
        SHIPPED
    }

    record OrderPlaced(
            String orderId,
            int quantity,
            BigDecimal price,
            List<String> items,
            Map<String, Integer> counts,
            Optional<String> note,
            Status status) {}

    /** A POJO: no-argument constructor and setters. */
    public static final class ProductAdded {
        private String sku;
        private long quantity;

        public ProductAdded() {}

        ProductAdded(String sku, long quantity) {
            this.sku = sku;
            this.quantity = quantity;
        }

        public String getSku() {
            return sku;
        }

        public void setSku(String sku) {
            this.sku = sku;
        }

        public long getQuantity() {
            return quantity;
        }

        public void setQuantity(long quantity) {
            this.quantity = quantity;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ProductAdded p && Objects.equals(sku, p.sku) && quantity == p.quantity;
        }

        @Override
        public int hashCode() {
            return Objects.hash(sku, quantity);
        }
    }

    record Times(
            Instant instant,
            LocalDate date,
            LocalDateTime dateTime,
            LocalTime time,
            OffsetDateTime offsetDateTime,
            ZonedDateTime zoned,
            Duration duration) {}

    record Holder(Object value) {}

    /** Counts its instances: a payload must never make one. */
    public static final class Gadget {
        static final AtomicInteger CREATED = new AtomicInteger();
        public String name;

        public Gadget() {
            CREATED.incrementAndGet();
        }
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
    public static class ClassTyped {
        public String name;
    }

    /** A subtype a payload could name: it must never be made from one. */
    public static final class Sneaky extends ClassTyped {
        static final AtomicInteger CREATED = new AtomicInteger();

        public Sneaky() {
            CREATED.incrementAndGet();
        }
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Cat.class, name = "cat"),
        @JsonSubTypes.Type(value = Dog.class, name = "dog")
    })
    interface Animal {}

    record Cat(String name) implements Animal {}

    record Dog(String name) implements Animal {}

    record Pet(Animal animal) {}

    /** Nothing Jackson can see. */
    static final class Opaque {
        @SuppressWarnings("unused")
        private final String secret = "s";
    }

    record Exploding(String name) {
        @Override
        public String name() {
            throw new IllegalStateException("lazy collection not loaded");
        }
    }

    // --- round trips -----------------------------------------------------------------------------------------

    @Test
    void aRecordRoundTrips() {
        OrderPlaced order = new OrderPlaced(
                "o-1",
                3,
                new BigDecimal("19.90"),
                List.of("sku-1", "sku-2"),
                Map.of("sku-1", 2, "sku-2", 1),
                Optional.of("leave at the door"),
                Status.PLACED);

        SerializedPayload payload = serializer.serialize("OrderPlaced", order);

        assertThat(payload.contentType()).isEqualTo("application/json");
        assertThat(payload.headers()).isEmpty();
        assertThat(text(payload))
                .contains("\"orderId\":\"o-1\"")
                .contains("\"note\":\"leave at the door\"")
                .contains("\"status\":\"PLACED\"")
                .doesNotContain("OrderPlaced");
        assertThat(read(payload, OrderPlaced.class)).isEqualTo(order);
    }

    @Test
    void aPojoRoundTrips() {
        ProductAdded added = new ProductAdded("sku-42", 7);

        SerializedPayload payload = serializer.serialize("ProductAdded", added);

        assertThat(text(payload)).isEqualTo("{\"sku\":\"sku-42\",\"quantity\":7}");
        assertThat(read(payload, ProductAdded.class)).isEqualTo(added);
    }

    @Test
    void javaTimeIsIsoTextAndRoundTrips() {
        Times times = new Times(
                Instant.parse("2026-03-01T10:15:30.123Z"),
                LocalDate.of(2026, 3, 1),
                LocalDateTime.of(2026, 3, 1, 10, 15, 30),
                LocalTime.of(10, 15),
                OffsetDateTime.of(2026, 3, 1, 10, 15, 30, 0, ZoneOffset.ofHours(2)),
                ZonedDateTime.of(2026, 3, 1, 10, 15, 30, 0, ZoneOffset.ofHours(-5)),
                Duration.ofMinutes(90));

        SerializedPayload payload = serializer.serialize("Times", times);

        assertThat(text(payload))
                .contains("\"instant\":\"2026-03-01T10:15:30.123Z\"")
                .contains("\"date\":\"2026-03-01\"")
                .contains("\"dateTime\":\"2026-03-01T10:15:30\"")
                .contains("\"time\":\"10:15:00\"")
                .contains("\"offsetDateTime\":\"2026-03-01T10:15:30+02:00\"")
                .contains("\"zoned\":\"2026-03-01T10:15:30-05:00\"")
                .contains("\"duration\":\"PT1H30M\"");
        assertThat(read(payload, Times.class)).isEqualTo(times);
    }

    @Test
    void aZonedDateTimeIsWrittenWithItsOffsetAndReadBackAsTheSameInstant() {
        ZonedDateTime paris = ZonedDateTime.of(2026, 7, 1, 10, 0, 0, 0, ZoneId.of("Europe/Paris"));
        Times times = new Times(null, null, null, null, null, paris, null);

        SerializedPayload payload = serializer.serialize("Times", times);

        assertThat(text(payload))
                .contains("\"zoned\":\"2026-07-01T10:00:00+02:00\"")
                .doesNotContain("Europe");
        ZonedDateTime back = read(payload, Times.class).zoned();
        assertThat(back.isEqual(paris)).isTrue();
        assertThat(back.getOffset()).isEqualTo(ZoneOffset.ofHours(2));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "application/json",
                "application/json; charset=utf-8",
                "Application/JSON",
                "application/vnd.warehouse.order+json"
            })
    void readsEveryJsonContentType(String contentType) {
        byte[] bytes = "{\"sku\":\"a\",\"quantity\":1}".getBytes(StandardCharsets.UTF_8);

        assertThat(serializer.deserialize("ProductAdded", contentType, bytes, ProductAdded.class))
                .isEqualTo(new ProductAdded("a", 1));
    }

    @Test
    void ignoresUnknownPropertiesSoProducersCanAddFields() {
        byte[] bytes = "{\"sku\":\"a\",\"quantity\":1,\"warehouse\":\"north\",\"tags\":[1,2]}"
                .getBytes(StandardCharsets.UTF_8);

        assertThat(serializer.deserialize("ProductAdded", "application/json", bytes, ProductAdded.class))
                .isEqualTo(new ProductAdded("a", 1));
    }

    @Test
    void logicalTypeNamesChosenByTheApplicationWork() {
        Pet pet = new Pet(new Dog("Rex"));

        SerializedPayload payload = serializer.serialize("PetAdopted", pet);

        assertThat(text(payload)).isEqualTo("{\"animal\":{\"kind\":\"dog\",\"name\":\"Rex\"}}");
        assertThat(read(payload, Pet.class)).isEqualTo(pet);
    }

    // --- refusals ----------------------------------------------------------------------------------------------

    @Test
    void refusesAnObjectWithNothingToWriteNamingItsClassAndType() {
        assertThatThrownBy(() -> serializer.serialize("SecretKept", new Opaque()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining(Opaque.class.getName())
                .hasMessageContaining("as type 'SecretKept'")
                .hasMessageContaining("No serializer found");
    }

    @Test
    void refusesAnObjectWhoseAccessorThrows() {
        assertThatThrownBy(() -> serializer.serialize("Exploding", new Exploding("x")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining(Exploding.class.getName())
                .hasMessageContaining("as type 'Exploding'")
                .hasMessageContaining("lazy collection not loaded");
    }

    @Test
    void refusesNull() {
        assertThatThrownBy(() -> serializer.serialize("Nothing", null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("null value as type 'Nothing'");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "{not json",
                "{\"sku\":\"a\"} {\"sku\":\"b\"}",
                "{\"sku\":\"a\",\"quantity\":\"many\"}",
                "[1,2,3]",
                "null",
                "\"just a string\""
            })
    void refusesBytesThatAreNotTheTarget(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serializer.deserialize("ProductAdded", "application/json", bytes, ProductAdded.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("cannot read type 'ProductAdded' as " + ProductAdded.class.getName());
    }

    @Test
    void refusesBytesThatAreNotText() {
        byte[] bytes = {(byte) 0xC3, (byte) 0x28, 0x00, (byte) 0xFF};

        assertThatThrownBy(() -> serializer.deserialize("ProductAdded", "application/json", bytes, ProductAdded.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("cannot read type 'ProductAdded'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/avro", "text/plain", "application/jsonx", " "})
    void refusesAContentTypeThatIsNotJson(String contentType) {
        byte[] bytes = "{}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serializer.deserialize("ProductAdded", contentType, bytes, ProductAdded.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("content type '" + contentType + "' is not JSON");
    }

    @Test
    void refusesMissingArguments() {
        byte[] bytes = "{}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serializer.deserialize("T", null, bytes, ProductAdded.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("content type 'null' is not JSON");
        assertThatThrownBy(() -> serializer.deserialize("T", "application/json", null, ProductAdded.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("payload must not be null");
        assertThatThrownBy(() -> serializer.deserialize("T", "application/json", bytes, null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("target must not be null");
    }

    // --- no class names from the wire --------------------------------------------------------------------------

    @Test
    void classNameHintsInAPayloadInstantiateNothing() {
        int before = Gadget.CREATED.get();
        String gadget = Gadget.class.getName();
        String asProperty = "{\"value\":{\"@class\":\"" + gadget + "\",\"name\":\"x\"}}";
        String asWrapperArray = "{\"value\":[\"" + gadget + "\",{\"name\":\"x\"}]}";

        Holder first = serializer.deserialize("Holder", "application/json", utf8(asProperty), Holder.class);
        Holder second = serializer.deserialize("Holder", "application/json", utf8(asWrapperArray), Holder.class);

        assertThat(first.value()).isInstanceOf(Map.class).isEqualTo(Map.of("@class", gadget, "name", "x"));
        assertThat(second.value()).isInstanceOf(List.class).isEqualTo(List.of(gadget, Map.of("name", "x")));
        assertThat(Gadget.CREATED).hasValue(before);
    }

    @Test
    void aClassThatAsksForClassNamesCannotBeRead() {
        int before = Sneaky.CREATED.get();
        String json = "{\"@class\":\"" + Sneaky.class.getName() + "\",\"name\":\"x\"}";

        assertThatThrownBy(() -> serializer.deserialize("ClassTyped", "application/json", utf8(json), ClassTyped.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("cannot read type 'ClassTyped'")
                .hasMessageContaining(Sneaky.class.getName());
        assertThat(Sneaky.CREATED).hasValue(before);
    }

    @Test
    void aMapperWithDefaultTypingLosesItInTheCopy() {
        ObjectMapper risky = new ObjectMapper();
        risky.activateDefaultTyping(LaissezFaireSubTypeValidator.instance, ObjectMapper.DefaultTyping.NON_FINAL);
        JacksonMessageSerializer fromRisky = JacksonMessageSerializer.create(risky);
        int before = Gadget.CREATED.get();

        Gadget gadget = new Gadget();
        gadget.name = "x";
        String written = text(fromRisky.serialize("Holder", new Holder(gadget)));
        Holder read = fromRisky.deserialize(
                "Holder",
                "application/json",
                utf8("{\"value\":[\"" + Gadget.class.getName() + "\",{\"name\":\"y\"}]}"),
                Holder.class);

        assertThat(written).isEqualTo("{\"value\":{\"name\":\"x\"}}");
        assertThat(read.value()).isInstanceOf(List.class);
        assertThat(Gadget.CREATED).hasValue(before + 1);
    }

    // --- the caller's mapper -----------------------------------------------------------------------------------

    @Test
    void usesACopyOfTheCallersMapper() {
        ObjectMapper theirs = JacksonMessageSerializer.defaultObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        JacksonMessageSerializer custom = JacksonMessageSerializer.create(theirs);

        theirs.setPropertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE);
        theirs.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

        OrderPlaced order = new OrderPlaced("o-1", 1, BigDecimal.ONE, List.of(), Map.of(), Optional.empty(), null);
        assertThat(text(custom.serialize("OrderPlaced", order))).contains("\"order_id\":\"o-1\"");
        assertThat(custom.deserialize(
                        "ProductAdded",
                        "application/json",
                        utf8("{\"sku\":\"a\",\"quantity\":1,\"extra\":true}"),
                        ProductAdded.class))
                .isEqualTo(new ProductAdded("a", 1));
    }

    @Test
    void refusesAMapperItCannotUse() {
        assertThatThrownBy(() -> JacksonMessageSerializer.create(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("objectMapper must not be null");
        ObjectMapper notCopyable = new ObjectMapper() {
            private static final long serialVersionUID = 1L;
        };
        assertThatThrownBy(() -> JacksonMessageSerializer.create(notCopyable))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("objectMapper cannot be copied")
                .hasMessageContaining("must override copy()");
        JsonFactory smile = new JsonFactory() {
            private static final long serialVersionUID = 1L;

            @Override
            public String getFormatName() {
                return "Smile";
            }
        };
        assertThatThrownBy(() -> JacksonMessageSerializer.create(new ObjectMapper(smile)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("objectMapper must write JSON")
                .hasMessageContaining("Smile");
    }

    @Test
    void theDefaultMapperBelongsToTheCaller() {
        ObjectMapper a = JacksonMessageSerializer.defaultObjectMapper();

        assertThat(a).isNotSameAs(JacksonMessageSerializer.defaultObjectMapper());
        assertThat(a.isEnabled(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES))
                .isFalse();
    }

    private <T> T read(SerializedPayload payload, Class<T> target) {
        return serializer.deserialize("T", payload.contentType(), payload.bytes(), target);
    }

    private static String text(SerializedPayload payload) {
        return new String(payload.bytes(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
