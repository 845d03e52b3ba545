package dev.outbox.examples.spring;

import java.util.OptionalInt;
import org.springframework.context.annotation.Profile;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The stock on {@link JdbcClient}, under Spring's {@code DataSourceTransactionManager}. */
@Repository
@Profile("!jpa")
class JdbcStock implements Stock {
    private final JdbcClient jdbc;

    JdbcStock(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public int add(String sku, int quantity) {
        return jdbc.sql("insert into warehouse_product (sku, quantity) values (?, ?)"
                        + " on conflict (sku) do update set quantity = warehouse_product.quantity + excluded.quantity"
                        + " returning quantity")
                .params(sku, quantity)
                .query(Integer.class)
                .single();
    }

    @Override
    public OptionalInt lock(String sku) {
        return jdbc.sql("select quantity from warehouse_product where sku = ? for update")
                .param(sku)
                .query(Integer.class)
                .optional()
                .map(OptionalInt::of)
                .orElse(OptionalInt.empty());
    }

    @Override
    public void set(String sku, int quantity) {
        jdbc.sql("update warehouse_product set quantity = ? where sku = ?")
                .params(quantity, sku)
                .update();
    }
}
