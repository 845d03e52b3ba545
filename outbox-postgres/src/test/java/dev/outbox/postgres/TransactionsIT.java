package dev.outbox.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.testkit.PostgresExtension;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What {@link Transactions#isAborted} sees on a real PostgreSQL, through the driver and through a wrapper hiding it. */
class TransactionsIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @Test
    void aFailedStatementAbortsTheTransactionAndARollbackToASavepointRevivesIt() throws Exception {
        for (boolean hidden : new boolean[] {false, true}) {
            try (Connection raw = pg.dataSource().getConnection()) {
                Connection c = hidden ? hiding(raw) : raw;
                c.setAutoCommit(false);
                assertThat(Transactions.isAborted(c))
                        .as("fresh, hidden=" + hidden)
                        .isFalse();
                Savepoint before = c.setSavepoint();
                swallow(c, "select 1 / 0");
                assertThat(Transactions.isAborted(c))
                        .as("after a failed statement, hidden=" + hidden)
                        .isTrue();
                c.rollback(before);
                assertThat(Transactions.isAborted(c))
                        .as("after rollback to savepoint, hidden=" + hidden)
                        .isFalse();
                swallow(c, "select * from no_such_table");
                assertThat(Transactions.isAborted(c)).isTrue();
                c.rollback();
                assertThat(Transactions.isAborted(c))
                        .as("after rollback, hidden=" + hidden)
                        .isFalse();
            }
        }
    }

    @Test
    void aClosedConnectionIsAnError() throws Exception {
        Connection c = pg.dataSource().getConnection();
        Connection hidden = hiding(c);
        c.close();
        assertThatThrownBy(() -> Transactions.isAborted(hidden)).isInstanceOf(SQLException.class);
    }

    private static void swallow(Connection c, String sql) {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException expected) {
            // the point: code that catches the failure and carries on
        }
    }

    /** A connection as an unknown pool may hand it out: the driver's own connection cannot be unwrapped. */
    private static Connection hiding(Connection target) {
        return (Connection) Proxy.newProxyInstance(
                TransactionsIT.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("isWrapperFor")) {
                        return false;
                    }
                    if (method.getName().equals("unwrap")) {
                        throw new SQLException("not a wrapper");
                    }
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
