package dev.outbox.testkit;

import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.MessageStore;
import java.lang.reflect.Proxy;
import java.sql.Connection;

/** The in-memory store keeps the same contract as the PostgreSQL store. */
class InMemoryMessageStoreTest extends MessageStoreContract {
    private InMemoryMessageStore store;

    @Override
    protected MessageStore newStore(int lanes) {
        store = InMemoryMessageStore.create(lanes);
        return store;
    }

    @Override
    protected Connection transaction() {
        return store.transaction();
    }

    @Override
    protected Connection autoCommitConnection() {
        return (Connection) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getAutoCommit" -> true;
                    case "isClosed" -> false;
                    case "close" -> null;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
