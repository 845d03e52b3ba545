package dev.outbox.fake;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link Connection} that answers only what the outbox asks of it: whether it is closed and whether auto-commit is
 * on. Any other call fails, so a test notices if the outbox starts using the connection in a new way.
 */
public final class FakeConnection {
    private FakeConnection() {}

    /** An open connection inside a transaction (auto-commit off). */
    public static Connection inTransaction() {
        return of(false, false, false);
    }

    /** An open connection in auto-commit mode. */
    public static Connection autoCommit() {
        return of(true, false, false);
    }

    /** A closed connection. */
    public static Connection closed() {
        return of(false, true, false);
    }

    /** A connection whose state cannot be read: every call throws {@link SQLException}. */
    public static Connection broken() {
        return of(false, false, true);
    }

    private static Connection of(boolean autoCommit, boolean closed, boolean broken) {
        AtomicBoolean isClosed = new AtomicBoolean(closed);
        AtomicBoolean isAutoCommit = new AtomicBoolean(autoCommit);
        return (Connection) Proxy.newProxyInstance(
                FakeConnection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "FakeConnection[autoCommit=" + isAutoCommit.get() + ", closed=" + isClosed.get()
                                    + "]";
                        default:
                            break;
                    }
                    if (broken) {
                        throw new SQLException("connection broken");
                    }
                    return switch (method.getName()) {
                        case "isClosed" -> isClosed.get();
                        case "getAutoCommit" -> isAutoCommit.get();
                        case "close" -> {
                            isClosed.set(true);
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(
                                "FakeConnection does not support " + method.getName());
                    };
                });
    }
}
