package dev.outbox.spring.autoconfigure;

import java.sql.Connection;
import javax.sql.DataSource;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * Connections for a {@link Jdbi} that joins Spring-managed transactions: the connection bound to the current
 * transaction when there is one, given back to it on close. A JDBI transaction opened on such a connection (auto-commit
 * off) joins it without committing: Spring's transaction manager commits or rolls back.
 */
final class SpringConnectionFactory implements ConnectionFactory {
    private final DataSource dataSource;

    private SpringConnectionFactory(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A Jdbi whose handles use the Spring transaction of the calling thread. */
    static Jdbi jdbi(DataSource dataSource) {
        Jdbi jdbi = Jdbi.create(new SpringConnectionFactory(dataSource));
        // Closing a handle inside the Spring transaction is normal here: the transaction ends with Spring, not with it.
        jdbi.getConfig(Handles.class).setForceEndTransactions(false);
        return jdbi;
    }

    @Override
    public Connection openConnection() {
        return DataSourceUtils.getConnection(dataSource);
    }

    @Override
    public void closeConnection(Connection connection) {
        DataSourceUtils.releaseConnection(connection, dataSource);
    }
}
