package dev.outbox.examples.spring;

import java.util.OptionalInt;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Repository;

/** The stock on Spring Data JPA, under Spring's {@code JpaTransactionManager} (the {@code jpa} profile). */
@Repository
@Profile("jpa")
class JpaStock implements Stock {
    private final ProductStockRepository products;

    JpaStock(ProductStockRepository products) {
        this.products = products;
    }

    @Override
    public int add(String sku, int quantity) {
        ProductStock product = products.lock(sku).orElseGet(() -> products.save(new ProductStock(sku, 0)));
        product.setQuantity(product.getQuantity() + quantity);
        return product.getQuantity();
    }

    @Override
    public OptionalInt lock(String sku) {
        return products.lock(sku).map(p -> OptionalInt.of(p.getQuantity())).orElse(OptionalInt.empty());
    }

    @Override
    public void set(String sku, int quantity) {
        products.lock(sku).orElseThrow().setQuantity(quantity);
    }
}
