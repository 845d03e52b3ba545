package dev.outbox.examples.spring;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A product's stock as a JPA entity (the {@code jpa} profile). */
@Entity
@Table(name = "warehouse_product")
public class ProductStock {
    @Id
    private String sku;

    private int quantity;

    /** For JPA. */
    protected ProductStock() {}

    ProductStock(String sku, int quantity) {
        this.sku = sku;
        this.quantity = quantity;
    }

    /** The product. */
    public String getSku() {
        return sku;
    }

    /** Its stock. */
    public int getQuantity() {
        return quantity;
    }

    void setQuantity(int quantity) {
        this.quantity = quantity;
    }
}
