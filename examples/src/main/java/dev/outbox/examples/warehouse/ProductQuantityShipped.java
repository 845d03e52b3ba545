package dev.outbox.examples.warehouse;

import dev.outbox.EventType;
import dev.outbox.Keyed;

/** Stock of a product went out. */
@EventType(ProductQuantityShipped.TYPE)
public record ProductQuantityShipped(String sku, int quantity) implements Keyed {
    /** The type name, also the topic. */
    public static final String TYPE = "Warehouse.Events.ProductQuantityShipped";

    @Override
    public String partitionKey() {
        return sku;
    }
}
