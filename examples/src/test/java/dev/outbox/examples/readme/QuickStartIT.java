package dev.outbox.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.outbox.Relay;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.broker.kafka.TopicPolicy;
import dev.outbox.broker.kafka.guice.KafkaBrokerModule;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.examples.warehouse.ProductQuantityIncreased;
import dev.outbox.guice.OutboxModule;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.serializer.jackson.guice.JacksonSerializerModule;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.guice.JdbiStoreModule;
import dev.outbox.testkit.PostgresExtension;
import java.time.Duration;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's quick start, run as it is written there: the regions between {@code // README:} markers are copied
 * into the README word for word, and {@link ReadmeTest} checks that they still are.
 */
class QuickStartIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final EmbeddedKafka kafka = EmbeddedKafka.shared();

    @Test
    void theQuickStartWorksAsWritten() throws Exception {
        DataSource dataSource = pg.dataSource();
        String bootstrapServers = kafka.bootstrapServers();
        Jdbi.create(dataSource)
                .useHandle(h -> h.execute("create table product (sku text primary key, quantity int);"
                        + " create table products_view (sku text primary key, quantity int);"
                        + " insert into product values ('sku-1', 0); insert into products_view values ('sku-1', 0)"));

        // README:wiring
        Jdbi jdbi = Jdbi.create(dataSource); // your pooled DataSource
        Injector injector = Guice.createInjector(
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(Jdbi.class).toInstance(jdbi);
                    }
                },
                new OutboxModule("warehouse"), // the producing service's name, sent with every message
                new JdbiStoreModule(), // PostgreSQL: tables outbox_*
                new JacksonSerializerModule(), // events as JSON
                new KafkaBrokerModule(KafkaBrokerSettings.builder(bootstrapServers)
                        .topicPolicy(TopicPolicy.createMissing()) // or create your topics beforehand
                        .build()));
        injector.getInstance(JdbiMessageStore.class).migrate(); // or paste migrationScript() into Flyway
        Relay relay = injector.getInstance(Relay.class);
        relay.start();
        // README:end

        // README:append
        JdbiOutbox outbox = injector.getInstance(JdbiOutbox.class);
        jdbi.useTransaction(handle -> {
            handle.execute("update product set quantity = quantity + 5 where sku = ?", "sku-1");
            outbox.in(handle)
                    .event("Warehouse.Events.ProductQuantityIncreased", new ProductQuantityIncreased("sku-1", 5));
        });
        // README:end

        // README:consume
        MessageSerializer serializer = injector.getInstance(MessageSerializer.class);
        Deduplicator dedup =
                Deduplicator.builder().jdbi(jdbi).consumer("products-view").build();
        dedup.migrate();
        Subscription subscription = injector.getInstance(Broker.class)
                .subscribe(
                        SubscriptionSpec.builder("products-view")
                                .patterns("Warehouse.Events.#")
                                .build(),
                        dedup.wrap((handle, message) -> {
                            var event = serializer.read(message, ProductQuantityIncreased.class);
                            handle.execute(
                                    "update products_view set quantity = quantity + ? where sku = ?",
                                    event.quantity(),
                                    event.sku());
                        }));
        // README:end

        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() ->
                            jdbi.withHandle(h -> h.createQuery("select quantity from products_view where sku = 'sku-1'")
                                            .mapTo(Integer.class)
                                            .one())
                                    == 5);
            assertThat(relay.stoppedLanes()).isEmpty();
        } finally {
            // README:shutdown
            subscription.close();
            dedup.close();
            relay.close();
            injector.getInstance(Broker.class).close();
            // README:end
        }
    }
}
