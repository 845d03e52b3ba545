package dev.outbox.examples.warehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Outbox;
import dev.outbox.serializer.jackson.JacksonMessageSerializer;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.testkit.OutboxInspector;
import dev.outbox.testkit.PostgresExtension;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The warehouse's commands, tested as a user of this library tests theirs: against a real database, without any
 * broker, by looking at what each command appended inside the test's own transaction, then rolling back.
 */
class WarehouseCommandsIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static Warehouse warehouse;
    private static Catalog catalog;
    private static OutboxInspector inspector;

    @BeforeAll
    static void setUp() {
        Jdbi jdbi = pg.jdbi();
        JdbiMessageStore store = JdbiMessageStore.create(jdbi);
        store.migrate();
        WarehouseSchema.create(jdbi);
        Outbox outbox = Outbox.builder()
                .store(store)
                .serializer(JacksonMessageSerializer.create())
                .build();
        warehouse = new Warehouse(JdbiOutbox.of(outbox));
        catalog = new Catalog(JdbiOutbox.of(outbox));
        inspector = OutboxInspector.of(outbox);
    }

    @Test
    void increasingStockAppendsItsEventInTheSameTransaction() {
        pg.jdbi().useTransaction(h -> {
            warehouse.increase(h, "sku-1", 7);
            warehouse.increase(h, "sku-1", 3);

            assertThat(warehouse.onHand(h, "sku-1")).isEqualTo(10);
            assertThat(inspector.events(h, ProductQuantityIncreased.TYPE, ProductQuantityIncreased.class))
                    .containsExactly(
                            new ProductQuantityIncreased("sku-1", 7), new ProductQuantityIncreased("sku-1", 3));
            assertThat(inspector.peek(h)).allSatisfy(m -> {
                assertThat(m.key()).isEqualTo("sku-1");
                assertThat(m.type()).isEqualTo(ProductQuantityIncreased.TYPE);
                assertThat(m.contentType()).isEqualTo("application/json");
            });
            h.rollback();
        });
        pg.jdbi().useHandle(h -> assertThat(inspector.peek(h)).isEmpty());
    }

    @Test
    void shippingMoreThanOnHandIsRefusedAndChangesNothing() {
        pg.jdbi().useTransaction(h -> {
            warehouse.increase(h, "sku-2", 4);
            assertThatThrownBy(() -> warehouse.ship(h, "sku-2", 5))
                    .isInstanceOf(InsufficientQuantityOnHand.class)
                    .hasMessage("cannot ship 5 of sku-2: only 4 on hand");
            assertThat(warehouse.onHand(h, "sku-2")).isEqualTo(4);
            assertThat(inspector.peek(h, ProductQuantityShipped.TYPE)).isEmpty();

            warehouse.ship(h, "sku-2", 4);
            assertThat(warehouse.onHand(h, "sku-2")).isZero();
            assertThat(inspector.events(h, ProductQuantityShipped.TYPE, ProductQuantityShipped.class))
                    .containsExactly(new ProductQuantityShipped("sku-2", 4));
            h.rollback();
        });
    }

    @Test
    void aRolledBackCommandLeavesNeitherStateNorEvent() {
        assertThatThrownBy(() -> pg.jdbi().useTransaction(h -> {
                    warehouse.increase(h, "sku-3", 1);
                    warehouse.ship(h, "sku-3", 2);
                }))
                .isInstanceOf(InsufficientQuantityOnHand.class);
        pg.jdbi().useHandle(h -> {
            assertThat(warehouse.onHand(h, "sku-3")).isZero();
            assertThat(inspector.peek(h)).isEmpty();
        });
    }

    @Test
    void catalogChangesAreEntityEventsWithANotificationForTheSession() {
        pg.jdbi().useTransaction(h -> {
            catalog.create(h, "session-42", new Product("sku-9", "Teapot"));
            catalog.rename(h, "session-42", "sku-9", "Blue teapot");
            catalog.remove(h, "session-42", "sku-9");

            assertThat(inspector.peek(h, Catalog.TOPIC))
                    .extracting(m -> m.type())
                    .containsExactly("Product.created", "Product.updated", "Product.destroyed");
            assertThat(inspector.events(h, Catalog.TOPIC, Product.class))
                    .containsExactly(
                            new Product("sku-9", "Teapot"),
                            new Product("sku-9", "Blue teapot"),
                            new Product("sku-9", "Blue teapot"));
            assertThat(inspector.peek(h, Catalog.NOTIFICATIONS)).hasSize(3).allSatisfy(m -> assertThat(m.key())
                    .isEqualTo("session-42"));
            assertThat(inspector.events(h, Catalog.NOTIFICATIONS, Catalog.Saved.class))
                    .extracting(Catalog.Saved::message)
                    .containsExactly("created Teapot", "renamed to Blue teapot", "removed");
            h.rollback();
        });
    }

    @Test
    void eventsSurviveTheTripThroughTheSerializer() {
        var e = new ProductQuantityShipped("sku-1", 3);
        assertThat(inspector.roundTrip(ProductQuantityShipped.TYPE, e)).isEqualTo(e);
    }
}
