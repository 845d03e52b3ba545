package dev.outbox.serializer.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Envelope;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageId;
import dev.outbox.spi.SerializedPayload;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.junit.jupiter.api.Test;

class AvroMessageSerializerTest {
    static final String QUANTITY = "Warehouse.Events.ProductQuantityIncreased";
    static final String ORDER = "Warehouse.Events.OrderPlaced";
    static final Instant AT = Instant.parse("2026-11-23T10:15:30.123Z");

    enum Reason {
        DELIVERY,
        RETURN,
        CORRECTION
    }

    record QuantityIncreased(
            String sku, int quantity, Instant at, Reason reason, List<String> tags, String note, String warehouse) {}

    /** A POJO with getters and setters, as older code has them. */
    static final class QuantityIncreasedBean {
        private String sku;
        private int quantity;
        private Instant at;
        private Reason reason;
        private List<String> tags;
        private String note;
        private String warehouse;

        public String getSku() {
            return sku;
        }

        public void setSku(String sku) {
            this.sku = sku;
        }

        public int getQuantity() {
            return quantity;
        }

        public void setQuantity(int quantity) {
            this.quantity = quantity;
        }

        public Instant getAt() {
            return at;
        }

        public void setAt(Instant at) {
            this.at = at;
        }

        public Reason getReason() {
            return reason;
        }

        public void setReason(Reason reason) {
            this.reason = reason;
        }

        public List<String> getTags() {
            return tags;
        }

        public void setTags(List<String> tags) {
            this.tags = tags;
        }

        public String getNote() {
            return note;
        }

        public void setNote(String note) {
            this.note = note;
        }

        public String getWarehouse() {
            return warehouse;
        }

        public void setWarehouse(String warehouse) {
            this.warehouse = warehouse;
        }
    }

    record Line(String sku, int quantity) {}

    record OrderPlaced(
            UUID orderId, List<Line> lines, Map<String, String> attributes, BigDecimal total, LocalDate day) {}

    record WithColor(String sku, int quantity, String color) {}

    record WithoutAt(String sku, int quantity, Reason reason) {}

    record QuantityAsText(String sku, String quantity, Instant at, Reason reason) {}

    private final AvroMessageSerializer serializer = AvroMessageSerializer.create();

    private static QuantityIncreased event() {
        return new QuantityIncreased("SKU-1", 5, AT, Reason.DELIVERY, List.of("fragile", "bulk"), null, "north");
    }

    @Test
    void aJavaRecordRoundTripsWithTheLatestSchemaVersionInItsHeaders() {
        SerializedPayload p = serializer.serialize(QUANTITY, event());
        assertThat(p.contentType()).isEqualTo("application/avro");
        assertThat(p.headers()).containsEntry("schema_version", "2");
        assertThat(serializer.deserialize(QUANTITY, p.headers(), p.bytes(), QuantityIncreased.class))
                .isEqualTo(event());
    }

    @Test
    void aPojoRoundTrips() {
        QuantityIncreasedBean bean = new QuantityIncreasedBean();
        bean.setSku("SKU-2");
        bean.setQuantity(7);
        bean.setAt(AT);
        bean.setReason(Reason.RETURN);
        bean.setTags(List.of("a"));
        bean.setNote("damaged box");
        // warehouse left null: the schema's default applies
        SerializedPayload p = serializer.serialize(QUANTITY, bean);
        QuantityIncreasedBean back =
                serializer.deserialize(QUANTITY, p.headers(), p.bytes(), QuantityIncreasedBean.class);
        assertThat(back).usingRecursiveComparison().ignoringFields("warehouse").isEqualTo(bean);
        assertThat(back.getWarehouse()).isEqualTo("main");
        // and across styles: written from a POJO, read as a record
        assertThat(serializer.deserialize(QUANTITY, p.headers(), p.bytes(), QuantityIncreased.class))
                .isEqualTo(new QuantityIncreased("SKU-2", 7, AT, Reason.RETURN, List.of("a"), "damaged box", "main"));
    }

    @Test
    void aGenericRecordRoundTripsWithTheVersionOfItsOwnSchema() {
        GenericRecord v1 = new GenericRecordBuilder(serializer.schema(QUANTITY, 1))
                .set("sku", "SKU-3")
                .set("quantity", 1)
                .set("at", AT.toEpochMilli())
                .set(
                        "reason",
                        new GenericData.EnumSymbol(
                                serializer
                                        .schema(QUANTITY, 1)
                                        .getField("reason")
                                        .schema(),
                                "CORRECTION"))
                .build();
        SerializedPayload p = serializer.serialize(QUANTITY, v1);
        assertThat(p.headers()).containsEntry("schema_version", "1");

        GenericRecord back = serializer.deserialize(QUANTITY, p.headers(), p.bytes(), GenericRecord.class);
        assertThat(back.getSchema()).isEqualTo(serializer.schema(QUANTITY, 2));
        assertThat(back.get("sku")).hasToString("SKU-3");
        assertThat(back.get("at")).isEqualTo(AT.toEpochMilli());
        assertThat(back.get("warehouse")).hasToString("main");
        assertThat((List<?>) back.get("tags")).isEmpty();
    }

    @Test
    void nestedRecordsArraysMapsAndLogicalTypesRoundTrip() {
        OrderPlaced order = new OrderPlaced(
                UUID.randomUUID(),
                List.of(new Line("SKU-1", 2), new Line("SKU-2", 1)),
                Map.of("channel", "web"),
                new BigDecimal("129.90"),
                LocalDate.of(2026, 11, 23));
        SerializedPayload p = serializer.serialize(ORDER, order);
        assertThat(serializer.deserialize(ORDER, p.headers(), p.bytes(), OrderPlaced.class))
                .isEqualTo(order);
        // One version only: the port's method, which has no headers, can read it.
        assertThat(serializer.deserialize(ORDER, "application/avro", p.bytes(), OrderPlaced.class))
                .isEqualTo(order);
    }

    @Test
    void whatAnOlderProducerWroteIsReadWithTheNewerSchemaAndItsDefaults() {
        AvroMessageSerializer producer =
                AvroMessageSerializer.builder().root("producer-v1").build();
        assertThat(producer.latestVersion(QUANTITY)).isEqualTo(1);
        SerializedPayload p = producer.serialize(QUANTITY, event()); // v1 has no warehouse: not written
        assertThat(p.headers()).containsEntry("schema_version", "1");

        IncomingMessage delivered = new IncomingMessage(
                new Envelope(
                        new MessageId(1),
                        "warehouse",
                        "Warehouse.Events.ProductQuantityIncreased",
                        "SKU-1",
                        QUANTITY,
                        p.contentType(),
                        AT,
                        p.headers()),
                p.bytes(),
                1);
        assertThat(serializer.read(delivered, QuantityIncreased.class))
                .isEqualTo(new QuantityIncreased(
                        "SKU-1", 5, AT, Reason.DELIVERY, List.of("fragile", "bulk"), null, "main"));

        // A reader that knows only v1 cannot read v2, and says what to deploy.
        SerializedPayload v2 = serializer.serialize(QUANTITY, event());
        assertThatThrownBy(() -> producer.deserialize(QUANTITY, v2.headers(), v2.bytes(), QuantityIncreased.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("schema version 2")
                .hasMessageContaining("producer-v1/Warehouse/Events/ProductQuantityIncreased_v2.avsc");
    }

    @Test
    void anUnknownTypeIsRefusedNamingTheFileItLookedFor() {
        assertThatThrownBy(() -> serializer.serialize("Warehouse.Events.ProductRenamed", event()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("no Avro schema for type Warehouse.Events.ProductRenamed")
                .hasMessageContaining("schemas/Warehouse/Events/ProductRenamed_v1.avsc");
        assertThatThrownBy(() -> serializer.serialize("../../etc/passwd", event()))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("cannot name an Avro schema file");
    }

    @Test
    void aMissingFieldIsRefusedNamingTypeAndField() {
        assertThatThrownBy(() -> serializer.serialize(QUANTITY, new WithoutAt("SKU-1", 1, Reason.DELIVERY)))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("type " + QUANTITY + " (schema v2)")
                .hasMessageContaining("field 'at' is missing")
                .hasMessageContaining(WithoutAt.class.getName());
        QuantityIncreased nullSku = new QuantityIncreased(null, 5, AT, Reason.DELIVERY, List.of(), null, null);
        assertThatThrownBy(() -> serializer.serialize(QUANTITY, nullSku))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("field 'sku' is missing (null)");
        OrderPlaced noLineSku = new OrderPlaced(
                UUID.randomUUID(), List.of(new Line(null, 1)), Map.of(), BigDecimal.ONE, LocalDate.EPOCH);
        assertThatThrownBy(() -> serializer.serialize(ORDER, noLineSku))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("field 'lines[0].sku' is missing");
    }

    @Test
    void aFieldOfTheWrongTypeIsRefusedNamingTypeAndField() {
        assertThatThrownBy(() -> serializer.serialize(QUANTITY, new QuantityAsText("SKU-1", "five", AT, Reason.RETURN)))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("type " + QUANTITY)
                .hasMessageContaining("field 'quantity' must be int, was java.lang.String");
        assertThatThrownBy(() ->
                        serializer.serialize(QUANTITY, Map.of("sku", "S", "quantity", 1, "at", AT, "reason", "LOST")))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("field 'reason' must be one of [DELIVERY, RETURN, CORRECTION], was 'LOST'");
        OrderPlaced tooPrecise =
                new OrderPlaced(UUID.randomUUID(), List.of(), Map.of(), new BigDecimal("1.234"), LocalDate.EPOCH);
        assertThatThrownBy(() -> serializer.serialize(ORDER, tooPrecise))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("field 'total' has 3 decimal places");
        assertThatThrownBy(() -> serializer.serialize(QUANTITY, "just a string"))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("must be record warehouse.events.ProductQuantityIncreased, was java.lang.String");
    }

    @Test
    void payloadsThatAreNotWhatTheySayAreRefused() {
        SerializedPayload p = serializer.serialize(QUANTITY, event());
        assertThatThrownBy(
                        () -> serializer.deserialize(QUANTITY, "application/avro", p.bytes(), QuantityIncreased.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("header schema_version is missing");
        assertThatThrownBy(() -> serializer.deserialize(ORDER, "application/json", p.bytes(), OrderPlaced.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("content type 'application/json' is not application/avro");
        assertThatThrownBy(() -> serializer.deserialize(
                        QUANTITY, Map.of("schema_version", "x"), p.bytes(), QuantityIncreased.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("must be a positive number, was 'x'");
        assertThatThrownBy(
                        () -> serializer.deserialize(QUANTITY, p.headers(), new byte[] {1, 2}, QuantityIncreased.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("could not read the payload");
        assertThatThrownBy(() -> serializer.deserialize(QUANTITY, p.headers(), p.bytes(), WithColor.class))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("field 'color' is not in the schema");
    }

    @Test
    void anInvalidSchemaFileIsAConfigurationErrorNamingTheFile() {
        AvroMessageSerializer broken =
                AvroMessageSerializer.builder().root("broken").build();
        assertThatThrownBy(() -> broken.serialize("Broken", Map.of("x", 1)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("broken/Broken_v1.avsc");
    }
}
