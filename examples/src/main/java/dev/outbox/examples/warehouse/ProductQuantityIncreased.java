package dev.outbox.examples.warehouse;

import dev.outbox.EventType;
import dev.outbox.Keyed;

/** Stock of a product went up. Keyed by SKU, so one product's events stay in order. */
@EventType(ProductQuantityIncreased.TYPE)
public record ProductQuantityIncreased(String sku, int quantity) implements Keyed {
    /** The type name, also the topic (RabbitMQ routing key). */
    public static final String TYPE = "Warehouse.Events.ProductQuantityIncreased";

    @Override
    public String partitionKey() {
        return sku;
    }
}
