package dev.outbox.spring;

import dev.outbox.Appender;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.Outbox;
import dev.outbox.TransactionRequiredException;
import dev.outbox.spi.StoredMessage;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The outbox of a Spring application: appends through the connection of the Spring-managed transaction the caller runs
 * in, so a message is stored if and only if that transaction commits (G1).
 *
 * <pre>{@code
 * @Transactional
 * public void increase(String sku, int quantity) {
 *     jdbc.sql("update product set quantity = quantity + ? where sku = ?").params(quantity, sku).update();
 *     outbox.appender().event("Warehouse.Events.ProductQuantityIncreased", new ProductQuantityIncreased(sku, quantity));
 * }
 * }</pre>
 *
 * <p>The connection is the one Spring has bound to the application's {@link DataSource}: a {@code
 * DataSourceTransactionManager} (JdbcTemplate, JdbcClient) binds it, and so does a {@code JpaTransactionManager} (Spring
 * Data JPA, Hibernate), which exposes the JPA transaction's JDBC connection for that data source. Thread-safe.
 */
public final class SpringOutbox {
    private final Outbox outbox;
    private final DataSource dataSource;

    private SpringOutbox(Outbox outbox, DataSource dataSource) {
        this.outbox = outbox;
        this.dataSource = dataSource;
    }

    /**
     * An outbox appending through {@code dataSource}'s transactions.
     *
     * @param outbox the outbox, on a store over the same database
     * @param dataSource the data source the application's transaction manager binds connections for
     */
    public static SpringOutbox create(Outbox outbox, DataSource dataSource) {
        if (outbox == null) {
            throw new InvalidConfigurationException("outbox must not be null");
        }
        if (dataSource == null) {
            throw new InvalidConfigurationException("dataSource must not be null");
        }
        return new SpringOutbox(outbox, dataSource);
    }

    /**
     * An appender in the current Spring-managed transaction. Use it within that transaction; it is not meant to be
     * kept.
     *
     * @throws TransactionRequiredException if no transaction is active on this thread (a method without
     *     {@code @Transactional}, or one whose propagation runs it without a transaction), or if the transaction
     *     manager bound no connection of the data source (a transaction of another resource)
     */
    public Appender appender() {
        return outbox.in(connection());
    }

    /**
     * The messages waiting in the outbox, oldest first, as the current transaction sees them (its own uncommitted ones
     * included), at most {@value #PEEK_LIMIT}: for tests, which look at what a command appended and roll it back.
     *
     * @throws TransactionRequiredException if no transaction is active on this thread
     */
    public List<StoredMessage> pending() {
        return outbox.store().peek(connection(), PEEK_LIMIT);
    }

    /** The waiting messages of one topic, decoded as {@code type}, oldest first; see {@link #pending()}. */
    public <T> List<T> pending(String topic, Class<T> type) {
        return pending().stream()
                .filter(m -> m.topic().equals(topic))
                .map(m -> outbox.serializer().deserialize(m.type(), m.contentType(), m.headers(), m.payload(), type))
                .toList();
    }

    /** At most this many messages are returned by {@link #pending()}. */
    public static final int PEEK_LIMIT = 10_000;

    /** The outbox itself, for appending through a JDBC connection of your own. */
    public Outbox outbox() {
        return outbox;
    }

    private Connection connection() {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new TransactionRequiredException("no Spring-managed transaction is active: append inside a"
                    + " @Transactional method (or a TransactionTemplate), with your business writes, so the message is"
                    + " stored only if they commit");
        }
        if (!TransactionSynchronizationManager.hasResource(dataSource)) {
            throw new TransactionRequiredException("the active transaction holds no connection of the outbox's"
                    + " DataSource: its transaction manager must manage that DataSource (DataSourceTransactionManager,"
                    + " or JpaTransactionManager on an EntityManagerFactory of that DataSource)");
        }
        // Bound to the transaction: releasing it only counts down, the transaction keeps it open until it ends.
        Connection connection = DataSourceUtils.getConnection(dataSource);
        DataSourceUtils.releaseConnection(connection, dataSource);
        return connection;
    }
}
