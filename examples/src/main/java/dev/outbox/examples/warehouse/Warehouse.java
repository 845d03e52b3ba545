package dev.outbox.examples.warehouse;

import dev.outbox.MessageId;
import dev.outbox.store.jdbi.JdbiOutbox;
import java.util.Objects;
import org.jdbi.v3.core.Handle;

/**
 * The warehouse's commands. Each changes the product's stock (the aggregate) and appends its event in the same
 * transaction: the caller's. The row lock taken on the product serialises commands on one SKU, so event ids follow
 * the order commands committed in.
 */
public final class Warehouse {
    private final JdbiOutbox outbox;

    public Warehouse(JdbiOutbox outbox) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
    }

    /**
     * Adds stock; creates the product at zero first if it is new.
     *
     * @return the id of the event appended
     */
    public MessageId increase(Handle handle, String sku, int quantity) {
        requirePositive(quantity);
        handle.createUpdate("insert into warehouse_product (sku, quantity) values (:sku, :quantity)"
                        + " on conflict (sku) do update set quantity = warehouse_product.quantity + :quantity")
                .bind("sku", sku)
                .bind("quantity", quantity)
                .execute();
        return outbox.in(handle).event(ProductQuantityIncreased.TYPE, new ProductQuantityIncreased(sku, quantity));
    }

    /**
     * Takes stock out.
     *
     * @return the id of the event appended
     * @throws InsufficientQuantityOnHand if the product has less than {@code quantity}; nothing is changed
     */
    public MessageId ship(Handle handle, String sku, int quantity) {
        requirePositive(quantity);
        int onHand = handle.createQuery("select quantity from warehouse_product where sku = :sku for update")
                .bind("sku", sku)
                .mapTo(Integer.class)
                .findOne()
                .orElse(0);
        if (onHand < quantity) {
            throw new InsufficientQuantityOnHand(sku, onHand, quantity);
        }
        handle.createUpdate("update warehouse_product set quantity = quantity - :quantity where sku = :sku")
                .bind("sku", sku)
                .bind("quantity", quantity)
                .execute();
        return outbox.in(handle).event(ProductQuantityShipped.TYPE, new ProductQuantityShipped(sku, quantity));
    }

    /** The stock of a product as the command side knows it. */
    public int onHand(Handle handle, String sku) {
        return handle.createQuery("select quantity from warehouse_product where sku = :sku")
                .bind("sku", sku)
                .mapTo(Integer.class)
                .findOne()
                .orElse(0);
    }

    private static void requirePositive(int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive, was " + quantity);
        }
    }
}
