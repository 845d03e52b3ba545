package dev.outbox.store.jdbi;

import dev.outbox.Appender;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.Outbox;
import dev.outbox.TransactionRequiredException;
import org.jdbi.v3.core.Handle;

/**
 * Appends through a JDBI {@link Handle}: the outbox for applications written with JDBI.
 *
 * <pre>{@code
 * jdbi.useTransaction(handle -> {
 *     handle.execute("update product set quantity = quantity + ? where sku = ?", 5, sku);
 *     outbox.in(handle).event("Warehouse.Events.ProductQuantityIncreased", sku, new QuantityIncreased(sku, 5));
 * });
 * }</pre>
 *
 * Thread-safe.
 */
public final class JdbiOutbox {
    private final Outbox outbox;

    private JdbiOutbox(Outbox outbox) {
        this.outbox = outbox;
    }

    /** Wraps an {@link Outbox}. */
    public static JdbiOutbox of(Outbox outbox) {
        if (outbox == null) {
            throw new InvalidConfigurationException("outbox must not be null");
        }
        return new JdbiOutbox(outbox);
    }

    /**
     * An appender bound to the handle's transaction.
     *
     * @throws TransactionRequiredException if the handle is null, closed or not in a transaction
     */
    public Appender in(Handle handle) {
        if (handle == null) {
            throw new TransactionRequiredException("the handle must not be null");
        }
        if (handle.isClosed()) {
            throw new TransactionRequiredException("the handle is closed: append inside an open transaction");
        }
        if (!handle.isInTransaction()) {
            throw new TransactionRequiredException("the handle is not in a transaction: append inside"
                    + " jdbi.useTransaction(...) or handle.useTransaction(...), with your business writes");
        }
        return outbox.in(handle.getConnection());
    }

    /** The wrapped outbox, for appending through a plain JDBC connection. */
    public Outbox outbox() {
        return outbox;
    }
}
