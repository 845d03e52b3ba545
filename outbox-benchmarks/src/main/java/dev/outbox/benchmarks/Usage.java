package dev.outbox.benchmarks;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.LongAdder;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * What a phase of a benchmark cost: process CPU time of this JVM, WAL written by the server, and statements sent
 * through the counted {@link org.jdbi.v3.core.Jdbi}s. Take a snapshot before, another after, divide by the messages.
 */
final class Usage {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Env env;
    private final Counter statements;
    private final long cpuNanos;
    private final long wal;
    private final long count;

    private Usage(Env env, Counter statements) {
        this.env = env;
        this.statements = statements;
        this.cpuNanos = OS.getProcessCpuTime();
        this.wal = env.walPosition();
        this.count = statements == null ? 0 : statements.count();
    }

    /** A snapshot now; {@code statements} may be null when the phase sends none worth counting. */
    static Usage start(Env env, Counter statements) {
        return new Usage(env, statements);
    }

    /** The cost per unit (message or transaction) since this snapshot. */
    PerUnit per(long units) {
        long cpu = OS.getProcessCpuTime() - cpuNanos;
        long walNow = env.walPosition();
        double n = Math.max(1, units);
        return new PerUnit(
                cpu / 1e6 / n, statements == null ? Double.NaN : (statements.count() - count) / n, (walNow - wal) / n);
    }

    /** CPU milliseconds, statements and WAL bytes per unit. */
    record PerUnit(double cpuMs, double statements, double walBytes) {}

    /** The current WAL insert position of the server, in bytes. */
    static long walPosition(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Counts the statements a {@link org.jdbi.v3.core.Jdbi} executes. Thread-safe. */
    static final class Counter implements SqlLogger {
        private final LongAdder executed = new LongAdder();

        @Override
        public void logBeforeExecution(StatementContext context) {
            executed.increment();
        }

        long count() {
            return executed.sum();
        }
    }
}
