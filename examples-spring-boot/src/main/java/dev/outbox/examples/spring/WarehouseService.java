package dev.outbox.examples.spring;

import dev.outbox.examples.warehouse.InsufficientQuantityOnHand;
import dev.outbox.examples.warehouse.ProductQuantityIncreased;
import dev.outbox.examples.warehouse.ProductQuantityShipped;
import dev.outbox.spring.SpringOutbox;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The warehouse's commands. Each changes the product's stock and appends its event in the same transaction; the row
 * lock on the product serialises the commands of one SKU, so its events are published in the order they committed.
 */
@Service
public class WarehouseService {
    private final Stock stock;
    private final SpringOutbox outbox;

    WarehouseService(Stock stock, SpringOutbox outbox) {
        this.stock = stock;
        this.outbox = outbox;
    }

    // README:append
    @Transactional
    public int increase(String sku, int quantity) {
        int onHand = stock.add(sku, quantity);
        outbox.appender().event(ProductQuantityIncreased.TYPE, new ProductQuantityIncreased(sku, quantity));
        return onHand;
    }

    @Transactional
    public int ship(String sku, int quantity) {
        int onHand = stock.lock(sku).orElse(0);
        if (onHand < quantity) {
            throw new InsufficientQuantityOnHand(sku, onHand, quantity); // rolls back: no event
        }
        stock.set(sku, onHand - quantity);
        outbox.appender().event(ProductQuantityShipped.TYPE, new ProductQuantityShipped(sku, quantity));
        return onHand - quantity;
    }
    // README:end
}
