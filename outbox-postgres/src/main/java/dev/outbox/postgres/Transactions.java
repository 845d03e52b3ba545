package dev.outbox.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The state of a PostgreSQL transaction, as far as the outbox must know it.
 *
 * <p>Once a statement fails inside a transaction, PostgreSQL aborts the transaction: every later statement fails, and a
 * {@code COMMIT} ends it as a rollback, without an error reaching the JDBC driver (pgjdbc reports one only with its
 * {@code raiseExceptionOnSilentRollback} property). Code that catches the failed statement's exception and carries on
 * therefore believes it committed what was rolled back. The outbox asks before it appends to, or commits, a
 * transaction that other code had in hand.
 */
public final class Transactions {
    /** SQLSTATE of a statement refused because the transaction is aborted. */
    static final String IN_FAILED_TRANSACTION = "25P02";

    private Transactions() {}

    /**
     * Whether the transaction open on {@code connection} has been aborted by a failed statement, so that it can only be
     * rolled back.
     *
     * <p>The PostgreSQL driver tracks the state without a round trip; a connection that cannot be unwrapped to it (a
     * pool that hides the driver's connection) is asked with a {@code SELECT 1}, which an aborted transaction refuses.
     *
     * @param connection a connection inside a transaction (auto-commit off)
     * @return {@code true} if the transaction is aborted; {@code false} if it is usable or none is open
     * @throws SQLException if the connection is closed or broken
     */
    public static boolean isAborted(Connection connection) throws SQLException {
        if (connection.isWrapperFor(BaseConnection.class)) {
            return connection.unwrap(BaseConnection.class).getTransactionState() == TransactionState.FAILED;
        }
        try (Statement st = connection.createStatement()) {
            st.execute("select 1");
            return false;
        } catch (SQLException e) {
            if (IN_FAILED_TRANSACTION.equals(e.getSQLState())) {
                return true;
            }
            throw e;
        }
    }
}
