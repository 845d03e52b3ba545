package dev.outbox.examples.warehouse;

import dev.outbox.IncomingMessage;
import dev.outbox.consumer.dedup.TransactionalHandler;
import dev.outbox.spi.MessageSerializer;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The read side: quantity per SKU, kept in its own table from the events. Run it through the dedup module, so a
 * redelivered event is skipped instead of counted twice.
 */
public final class ProductsView implements TransactionalHandler {
    /** The consumer's name: its Kafka group, its RabbitMQ queue, its key in the dedup table. */
    public static final String NAME = "products-view";
    /** What it listens to. */
    public static final String PATTERN = "Warehouse.Events.#";

    private final MessageSerializer serializer;

    public ProductsView(MessageSerializer serializer) {
        this.serializer = Objects.requireNonNull(serializer, "serializer");
    }

    @Override
    public void handle(Handle handle, IncomingMessage message) {
        Optional<StockChange> change = StockChange.of(serializer, message);
        if (change.isEmpty()) {
            return; // another event of the warehouse: not this consumer's business
        }
        String sku = change.get().sku();
        int delta = change.get().delta();
        handle.createUpdate("insert into products_view (sku, quantity) values (:sku, :delta)"
                        + " on conflict (sku) do update set quantity = products_view.quantity + :delta")
                .bind("sku", sku)
                .bind("delta", delta)
                .execute();
    }

    /** The view's quantity for a SKU. */
    public static int quantity(Handle handle, String sku) {
        return handle.createQuery("select quantity from products_view where sku = :sku")
                .bind("sku", sku)
                .mapTo(Integer.class)
                .findOne()
                .orElse(0);
    }
}
