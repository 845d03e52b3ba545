package dev.outbox.examples.warehouse;

import dev.outbox.EventType;
import dev.outbox.Keyed;

/** A product's stock fell to {@link LowQuantityNotifier#THRESHOLD} or fewer. */
@EventType(NotifiedLowProductQuantity.TYPE)
public record NotifiedLowProductQuantity(String sku) implements Keyed {
    /** The type name, also the topic. */
    public static final String TYPE = "Warehouse.Events.NotifiedLowProductQuantity";

    @Override
    public String partitionKey() {
        return sku;
    }
}
