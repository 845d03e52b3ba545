package dev.outbox.broker.rabbit;

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

/**
 * The relay contract from PostgreSQL to the real RabbitMQ, received by {@link RabbitBroker}'s own subscribers, in a
 * virtual host of the class's own.
 */
class RabbitRelayContractIT extends RelayContract {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private static final AtomicInteger tables = new AtomicInteger();
    private static RabbitBroker broker;

    @BeforeAll
    static void connect() {
        broker = RabbitBroker.create(rabbit.settings().build());
        broker.connect();
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
                        .tablePrefix("rabbit" + tables.incrementAndGet())
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
