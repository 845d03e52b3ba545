package dev.outbox.examples.warehouse;

import dev.outbox.EventType;
import dev.outbox.Keyed;

/** A catalogue entry, published whole on every change as {@code Product.created}, {@code .updated}, ... */
@EventType("Product")
public record Product(String sku, String name) implements Keyed {
    @Override
    public String partitionKey() {
        return sku;
    }
}
