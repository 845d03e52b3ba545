package dev.outbox.store.jdbi;

import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import dev.outbox.testkit.RelayContract;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The relay contract on the PostgreSQL store, with an in-process recording broker. */
class JdbiRelayContractIT extends RelayContract {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();

    private final RecordingBroker broker = new RecordingBroker();
    private JdbiStoreConfig config;

    @Override
    protected MessageStore newStore(int lanes) {
        config = JdbiStoreConfig.builder()
                .tablePrefix("relay" + tables.incrementAndGet())
                .lanes(lanes)
                .build();
        JdbiMessageStore store = JdbiMessageStore.create(pg.jdbi(), config);
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

    /** Every row left in the table, so that a message acknowledged but not deleted counts too. */
    @Override
    protected long stored(MessageStore store) {
        return pg.jdbi().withHandle(h -> h.createQuery("select count(*) from " + config.table("message"))
                .mapTo(Long.class)
                .one());
    }
}
