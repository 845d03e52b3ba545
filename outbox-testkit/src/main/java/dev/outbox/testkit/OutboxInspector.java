package dev.outbox.testkit;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.Outbox;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.SerializedPayload;
import dev.outbox.spi.StoredMessage;
import java.sql.Connection;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * Looks into the outbox from a test, without a broker: what a command appended, inside the test's own transaction,
 * decoded back into events.
 *
 * <pre>{@code
 * OutboxInspector inspector = OutboxInspector.of(outbox);
 * jdbi.useTransaction(handle -> {
 *     warehouse.increase(handle, "sku-1", 5);
 *     assertThat(inspector.events(handle, "Warehouse.Events.ProductQuantityIncreased", QuantityIncreased.class))
 *             .containsExactly(new QuantityIncreased("sku-1", 5));
 *     handle.rollback();
 * });
 * }</pre>
 *
 * Thread-safe.
 */
public final class OutboxInspector {
    /** At most this many messages are looked at. */
    public static final int LIMIT = 10_000;

    private final MessageStore store;
    private final MessageSerializer serializer;

    private OutboxInspector(MessageStore store, MessageSerializer serializer) {
        this.store = store;
        this.serializer = serializer;
    }

    /** An inspector for the store and serializer of {@code outbox}. */
    public static OutboxInspector of(Outbox outbox) {
        if (outbox == null) {
            throw new InvalidConfigurationException("outbox must not be null");
        }
        return new OutboxInspector(outbox.store(), outbox.serializer());
    }

    /** Every waiting message, oldest first, as {@code transaction} sees them (its own uncommitted ones included). */
    public List<StoredMessage> peek(Connection transaction) {
        return store.peek(transaction, LIMIT);
    }

    /** {@link #peek(Connection)} through a JDBI handle. */
    public List<StoredMessage> peek(Handle handle) {
        return peek(handle.getConnection());
    }

    /** The waiting messages of one topic, oldest first. */
    public List<StoredMessage> peek(Handle handle, String topic) {
        return peek(handle).stream().filter(m -> m.topic().equals(topic)).toList();
    }

    /** The waiting messages of one topic decoded as {@code type}, oldest first. */
    public <T> List<T> events(Handle handle, String topic, Class<T> type) {
        return peek(handle, topic).stream()
                .map(m -> serializer.deserialize(m.type(), m.contentType(), m.headers(), m.payload(), type))
                .toList();
    }

    /**
     * Writes {@code value} with the outbox's serializer and reads it back as its own class: a test that a type
     * survives the trip to consumers.
     */
    @SuppressWarnings("unchecked")
    public <T> T roundTrip(String type, T value) {
        SerializedPayload p = serializer.serialize(type, value);
        return (T) serializer.deserialize(type, p.contentType(), p.headers(), p.bytes(), value.getClass());
    }
}
