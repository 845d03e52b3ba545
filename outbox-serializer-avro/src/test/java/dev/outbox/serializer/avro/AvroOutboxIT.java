package dev.outbox.serializer.avro;

import static dev.outbox.serializer.avro.AvroMessageSerializerTest.AT;
import static dev.outbox.serializer.avro.AvroMessageSerializerTest.QUANTITY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.SubscriptionSpec;
import dev.outbox.serializer.avro.AvroMessageSerializerTest.QuantityAsText;
import dev.outbox.serializer.avro.AvroMessageSerializerTest.QuantityIncreased;
import dev.outbox.serializer.avro.AvroMessageSerializerTest.Reason;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Avro events through the whole outbox: appended in a transaction, stored in PostgreSQL, relayed, consumed. */
class AvroOutboxIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String TOPIC = "Warehouse.Events.ProductQuantityIncreased";

    @Test
    void anEventRoundTripsThroughStoreRelayAndBroker() {
        AvroMessageSerializer serializer = AvroMessageSerializer.create();
        JdbiMessageStore store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder().tablePrefix("avro").lanes(4).build());
        store.migrate();
        JdbiOutbox outbox = JdbiOutbox.of(
                Outbox.builder().store(store).serializer(serializer).build());
        RecordingBroker broker = new RecordingBroker();
        List<QuantityIncreased> consumed = new CopyOnWriteArrayList<>();
        broker.subscribe(
                SubscriptionSpec.builder("avro-it")
                        .patterns("Warehouse.Events.#")
                        .build(),
                (IncomingMessage m) -> consumed.add(serializer.read(m, QuantityIncreased.class)));

        QuantityIncreased event =
                new QuantityIncreased("SKU-9", 12, AT, Reason.DELIVERY, List.of("pallet"), "late truck", "south");
        MessageId id = pg.jdbi().inTransaction(h -> outbox.in(h).event(TOPIC, "SKU-9", QUANTITY, event));

        // A value that does not fit its schema is refused at append, and nothing of its transaction is stored.
        assertThatThrownBy(() -> pg.jdbi().useTransaction(h -> outbox.in(h)
                        .event(TOPIC, "SKU-9", QUANTITY, new QuantityAsText("SKU-9", "many", AT, Reason.RETURN))))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("field 'quantity' must be int");

        try (Relay relay =
                Relay.builder().store(store).broker(broker).source("avro-it").build()) {
            relay.drainNow();
        }

        assertThat(broker.published()).hasSize(1);
        OutgoingMessage sent = broker.published().get(0);
        assertThat(sent.envelope().messageId()).isEqualTo(id);
        assertThat(sent.envelope().contentType()).isEqualTo("application/avro");
        assertThat(sent.envelope().type()).isEqualTo(QUANTITY);
        assertThat(sent.envelope().headers()).containsEntry("schema_version", "2");
        assertThat(consumed).containsExactly(event);
        assertThat(serializer.deserialize(QUANTITY, sent.envelope().headers(), sent.payload(), QuantityIncreased.class))
                .isEqualTo(event);
    }
}
