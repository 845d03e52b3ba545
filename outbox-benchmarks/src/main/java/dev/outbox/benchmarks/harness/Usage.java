package dev.outbox.benchmarks.harness;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.LongAdder;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * What a phase of a benchmark cost: process CPU time of this JVM, WAL written by the server, and statements sent
 * through the counted {@link org.jdbi.v3.core.Jdbi}s. Take a snapshot before, another after, divide by the messages.
 */
public final class Usage {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Wal wal;
    private final Counter statements;
    private final long cpuNanos;
    private final long walStart;
    private final long count;

    private Usage(Wal wal, Counter statements) {
        this.wal = wal;
        this.statements = statements;
        this.cpuNanos = OS.getProcessCpuTime();
        this.walStart = wal.position();
        this.count = statements == null ? 0 : statements.count();
    }

    /**
     * A snapshot now.
     *
     * @param wal the server whose WAL is counted
     * @param statements counts the statements of the phase, or null when it sends none worth counting
     */
    public static Usage start(Wal wal, Counter statements) {
        return new Usage(wal, statements);
    }

    /** The cost per unit (message or transaction) since this snapshot. */
    public PerUnit per(long units) {
        long cpu = OS.getProcessCpuTime() - cpuNanos;
        long walNow = wal.position();
        double n = Math.max(1, units);
        return new PerUnit(
                cpu / 1e6 / n,
                statements == null ? Double.NaN : (statements.count() - count) / n,
                (walNow - walStart) / n);
    }

    /**
     * CPU milliseconds (of this JVM), statements and WAL bytes per unit.
     *
     * @param cpuMs this JVM's CPU time per unit, in milliseconds
     * @param statements statements per unit, NaN when not counted
     * @param walBytes WAL bytes per unit; the server is shared, so approximate
     */
    public record PerUnit(double cpuMs, double statements, double walBytes) {}

    /** A server's WAL insert position, in bytes. */
    @FunctionalInterface
    public interface Wal {

        /** The current position. */
        long position();
    }

    /** Counts the statements a {@link org.jdbi.v3.core.Jdbi} executes. Thread-safe. */
    public static final class Counter implements SqlLogger {
        private final LongAdder executed = new LongAdder();

        /** Counts one statement. */
        @Override
        public void logBeforeExecution(StatementContext context) {
            executed.increment();
        }

        /** Statements counted so far. */
        public long count() {
            return executed.sum();
        }
    }
}
