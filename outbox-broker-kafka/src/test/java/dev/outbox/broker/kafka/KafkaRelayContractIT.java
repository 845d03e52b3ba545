package dev.outbox.broker.kafka;

import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RelayContract;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The relay contract from PostgreSQL to a real Kafka, received by {@link KafkaBroker}'s own subscribers. */
class KafkaRelayContractIT extends RelayContract {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();
    private static KafkaBroker broker;

    @BeforeAll
    static void connect() {
        // Pattern subscriptions find the topics the relay creates on the consumer's next metadata refresh.
        broker = KafkaBroker.create(TestKafka.settings(EmbeddedKafka.shared(), 4)
                .consumerProperty("metadata.max.age.ms", "200")
                .build());
    }

    @AfterAll
    static void close() {
        broker.close();
    }

    @Override
    protected MessageStore newStore(int lanes) {
        JdbiMessageStore store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("kafka" + tables.incrementAndGet())
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
