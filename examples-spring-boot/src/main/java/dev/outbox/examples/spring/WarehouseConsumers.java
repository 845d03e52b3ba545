package dev.outbox.examples.spring;

import dev.outbox.IncomingMessage;
import dev.outbox.SubscriptionSpec;
import dev.outbox.examples.warehouse.LowQuantityNotifier;
import dev.outbox.examples.warehouse.NotifiedLowProductQuantity;
import dev.outbox.examples.warehouse.ProductQuantityIncreased;
import dev.outbox.examples.warehouse.ProductQuantityShipped;
import dev.outbox.examples.warehouse.ProductsView;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spring.OutboxSubscriber;
import dev.outbox.spring.SpringOutbox;
import java.util.Optional;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The two consumers of the warehouse's events, as in the Guice warehouse: the products view and the low-quantity
 * notifier, which appends an event of its own in its consuming transaction. Each runs exactly once per event: in a
 * Spring transaction that also records the message id.
 */
@Configuration(proxyBeanMethods = false)
class WarehouseConsumers {

    // README:consume
    @Bean
    OutboxSubscriber productsView(JdbcClient jdbc, MessageSerializer serializer) {
        return OutboxSubscriber.exactlyOnce(
                SubscriptionSpec.builder(ProductsView.NAME)
                        .patterns(ProductsView.PATTERN)
                        .build(),
                message -> change(serializer, message)
                        .ifPresent(change -> jdbc.sql("insert into products_view (sku, quantity) values (?, ?)"
                                        + " on conflict (sku) do update set quantity = products_view.quantity + ?")
                                .params(change.sku(), change.delta(), change.delta())
                                .update()));
    }
    // README:end

    @Bean
    OutboxSubscriber lowQuantityNotifier(JdbcClient jdbc, MessageSerializer serializer, SpringOutbox outbox) {
        return OutboxSubscriber.exactlyOnce(
                SubscriptionSpec.builder(LowQuantityNotifier.NAME)
                        .patterns(LowQuantityNotifier.PATTERN)
                        .build(),
                message -> change(serializer, message).ifPresent(change -> {
                    record State(int quantity, boolean low) {}
                    State before = jdbc.sql("select quantity, low from low_quantity_notifier where sku = ? for update")
                            .param(change.sku())
                            .query((rs, n) -> new State(rs.getInt("quantity"), rs.getBoolean("low")))
                            .optional()
                            .orElse(new State(0, false));
                    int quantity = before.quantity() + change.delta();
                    boolean low = quantity <= LowQuantityNotifier.THRESHOLD;
                    jdbc.sql(
                                    "insert into low_quantity_notifier (sku, quantity, low) values (?, ?, ?)"
                                            + " on conflict (sku) do update set quantity = excluded.quantity, low = excluded.low")
                            .params(change.sku(), quantity, low)
                            .update();
                    // A new product starts below the threshold: only a fall from above it is a crossing.
                    if (low && !before.low() && before.quantity() > LowQuantityNotifier.THRESHOLD) {
                        outbox.appender()
                                .event(NotifiedLowProductQuantity.TYPE, new NotifiedLowProductQuantity(change.sku()));
                    }
                }));
    }

    /** What a stock event did to a product: its SKU and the signed change of its quantity. */
    record StockChange(String sku, int delta) {}

    static Optional<StockChange> change(MessageSerializer serializer, IncomingMessage message) {
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
