package dev.outbox.examples.spring;

import java.util.OptionalInt;

/** The command side's stock per product, in the caller's transaction: on JdbcClient or on Spring Data JPA. */
public interface Stock {
    /** Adds to a product's stock, creating the product if it is new; returns the new quantity. */
    int add(String sku, int quantity);

    /** A product's stock, locked until the transaction ends; empty for an unknown product. */
    OptionalInt lock(String sku);

    /** Sets a product's stock. */
    void set(String sku, int quantity);
}
