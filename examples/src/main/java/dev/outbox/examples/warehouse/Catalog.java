package dev.outbox.examples.warehouse;

import dev.outbox.EntityChange;
import dev.outbox.store.jdbi.JdbiOutbox;
import java.util.Objects;
import org.jdbi.v3.core.Handle;

/**
 * The product catalogue: the entity-change style of event (an entity plus created/updated/destroyed, to one topic),
 * and a real-time notification to the user session that made the change.
 */
public final class Catalog {
    /** Where product changes go. */
    public static final String TOPIC = "Warehouse.Entities.Product";
    /** Where notifications for user sessions go, keyed by session id. */
    public static final String NOTIFICATIONS = "Warehouse.Notifications";

    private final JdbiOutbox outbox;

    public Catalog(JdbiOutbox outbox) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
    }

    /** A notification shown to the session that made a change. */
    public record Saved(String sku, String message) {}

    public void create(Handle handle, String sessionId, Product product) {
        handle.createUpdate("insert into warehouse_catalog (sku, name) values (:sku, :name)")
                .bind("sku", product.sku())
                .bind("name", product.name())
                .execute();
        var in = outbox.in(handle);
        in.entity(TOPIC, EntityChange.CREATED, product);
        in.notification(NOTIFICATIONS, sessionId, new Saved(product.sku(), "created " + product.name()));
    }

    public void rename(Handle handle, String sessionId, String sku, String name) {
        int changed = handle.createUpdate("update warehouse_catalog set name = :name where sku = :sku")
                .bind("sku", sku)
                .bind("name", name)
                .execute();
        if (changed == 0) {
            throw new IllegalArgumentException("no product " + sku);
        }
        var in = outbox.in(handle);
        in.entity(TOPIC, EntityChange.UPDATED, new Product(sku, name));
        in.notification(NOTIFICATIONS, sessionId, new Saved(sku, "renamed to " + name));
    }

    public void remove(Handle handle, String sessionId, String sku) {
        String name = handle.createQuery("delete from warehouse_catalog where sku = :sku returning name")
                .bind("sku", sku)
                .mapTo(String.class)
                .findOne()
                .orElseThrow(() -> new IllegalArgumentException("no product " + sku));
        var in = outbox.in(handle);
        in.entity(TOPIC, EntityChange.DESTROYED, new Product(sku, name));
        in.notification(NOTIFICATIONS, sessionId, new Saved(sku, "removed"));
    }
}
