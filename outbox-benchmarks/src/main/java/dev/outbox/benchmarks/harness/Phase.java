package dev.outbox.benchmarks.harness;

import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a closed-loop phase measured: units of work per second and their cost.
 *
 * @param rate units per second
 * @param cost CPU, statements and WAL per unit
 */
public record Phase(double rate, Usage.PerUnit cost) {

    /**
     * Lets {@code workers} (already running, counting into {@code done}, stopping when {@code stop} is set) warm up for
     * the settings' warm-up, measures them over the settings' phase, then stops them and waits for them.
     *
     * @param wal the server whose WAL the phase writes
     * @param statements counts the database statements, or null when they are not counted
     */
    public static Phase measure(
            Settings s,
            Usage.Wal wal,
            Usage.Counter statements,
            LongAdder done,
            AtomicBoolean stop,
            List<Future<?>> workers)
            throws Exception {
        Thread.sleep(s.warmup().toMillis());
        long d0 = done.sum();
        Usage usage = Usage.start(wal, statements);
        long t0 = System.nanoTime();
        Thread.sleep(s.phase().toMillis());
        long d1 = done.sum();
        long t1 = System.nanoTime();
        Usage.PerUnit cost = usage.per(d1 - d0);
        stop.set(true);
        for (Future<?> f : workers) {
            f.get(1, TimeUnit.MINUTES);
        }
        return new Phase((d1 - d0) / ((t1 - t0) / 1e9), cost);
    }
}
