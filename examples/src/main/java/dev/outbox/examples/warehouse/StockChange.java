package dev.outbox.examples.warehouse;

import dev.outbox.IncomingMessage;
import dev.outbox.spi.MessageSerializer;
import java.util.Optional;

/**
 * What a stock event did to a product, as the consumers need it: the SKU and the signed change of its quantity.
 *
 * @param sku the product
 * @param delta how much its quantity went up (positive) or down (negative)
 */
record StockChange(String sku, int delta) {

    /** The change a message carries, or empty for a warehouse event that changes no stock. */
    static Optional<StockChange> of(MessageSerializer serializer, IncomingMessage message) {
        return switch (message.envelope().type()) {
            case ProductQuantityIncreased.TYPE -> {
                var e = serializer.read(message, ProductQuantityIncreased.class);
                yield Optional.of(new StockChange(e.sku(), e.quantity()));
            }
            case ProductQuantityShipped.TYPE -> {
                var e = serializer.read(message, ProductQuantityShipped.class);
                yield Optional.of(new StockChange(e.sku(), -e.quantity()));
            }
            default -> Optional.empty();
        };
    }
}
