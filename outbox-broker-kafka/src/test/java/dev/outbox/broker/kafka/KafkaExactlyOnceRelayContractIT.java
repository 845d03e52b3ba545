package dev.outbox.broker.kafka;

import dev.outbox.SubscriptionSpec;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RelayContract;
import java.sql.Connection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The relay contract from PostgreSQL to a real Kafka in the exactly-once mode: everything the relay promises holds
 * with transactions too (order, stopped lanes, the gap, lanes moving between relays).
 */
class KafkaExactlyOnceRelayContractIT extends RelayContract {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String RUN = "eosc" + UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicInteger tables = new AtomicInteger();
    private KafkaBroker broker;
    private String positions;

    /**
     * A broker of its own for each store: a positions topic belongs to one outbox table, since lanes and epochs are
     * the table's.
     */
    private KafkaBroker newBroker(int n) {
        positions = RUN + "-positions-" + n;
        // Pattern subscriptions find the topics the relay creates on the consumer's next metadata refresh.
        return KafkaBroker.create(TestKafka.settings(EmbeddedKafka.shared(), 4)
                .consumerProperty("metadata.max.age.ms", "200")
                .exactlyOnce()
                .positionsTopic(positions)
                .build());
    }

    @Override
    protected void cleanUp(List<String> topics, List<SubscriptionSpec> subscriptions) {
        broker.close();
        try (Admin admin = TestKafka.admin(EmbeddedKafka.shared())) {
            admin.deleteTopics(List.of(positions, positions + "-claims")).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not delete the positions topics", e);
        }
    }

    @Override
    protected MessageStore newStore(int lanes) {
        broker = newBroker(tables.incrementAndGet());
        JdbiMessageStore store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("kafkaeos" + tables.get())
                        .lanes(lanes)
                        .build());
        store.migrate();
        return store;
    }

    @Override
    protected Connection transaction() {
        return pg.transaction();
    }

    @Override
    protected Broker broker() {
        return broker;
    }
}
