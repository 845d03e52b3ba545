package dev.outbox.examples.warehouse;

import dev.outbox.IncomingMessage;
import dev.outbox.consumer.dedup.TransactionalHandler;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.store.jdbi.JdbiOutbox;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Emits {@link NotifiedLowProductQuantity} when a product's stock falls to {@value #THRESHOLD} or fewer: once per
 * crossing, not on every shipment below. It keeps its own copy of the stock, and appends its event through the outbox
 * in the same transaction as its own state and the dedup record: a consumer that is itself a producer, exactly once.
 */
public final class LowQuantityNotifier implements TransactionalHandler {
    /** The consumer's name. */
    public static final String NAME = "low-quantity-notifier";
    /** What it listens to. */
    public static final String PATTERN = "Warehouse.Events.#";
    /** At or below this quantity a product is low. */
    public static final int THRESHOLD = 5;

    private final MessageSerializer serializer;
    private final JdbiOutbox outbox;

    public LowQuantityNotifier(MessageSerializer serializer, JdbiOutbox outbox) {
        this.serializer = Objects.requireNonNull(serializer, "serializer");
        this.outbox = Objects.requireNonNull(outbox, "outbox");
    }

    @Override
    public void handle(Handle handle, IncomingMessage message) {
        Optional<StockChange> change = StockChange.of(serializer, message);
        if (change.isEmpty()) {
            return; // another event of the warehouse: not this consumer's business
        }
        String sku = change.get().sku();
        int delta = change.get().delta();
        record State(int quantity, boolean low) {}
        State before = handle.createQuery("select quantity, low from low_quantity_notifier where sku = :sku for update")
                .bind("sku", sku)
                .map((rs, ctx) -> new State(rs.getInt("quantity"), rs.getBoolean("low")))
                .findOne()
                .orElse(new State(0, false));
        int quantity = before.quantity() + delta;
        boolean low = quantity <= THRESHOLD;
        // A new product starts below the threshold: only a fall from above it is a crossing.
        boolean crossed = low && !before.low() && before.quantity() > THRESHOLD;
        handle.createUpdate("insert into low_quantity_notifier (sku, quantity, low) values (:sku, :quantity, :low)"
                        + " on conflict (sku) do update set quantity = :quantity, low = :low")
                .bind("sku", sku)
                .bind("quantity", quantity)
                .bind("low", low)
                .execute();
        if (crossed) {
            outbox.in(handle).event(NotifiedLowProductQuantity.TYPE, new NotifiedLowProductQuantity(sku));
        }
    }
}
