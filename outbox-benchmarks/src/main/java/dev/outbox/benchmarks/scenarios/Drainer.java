package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Database;
import dev.outbox.benchmarks.fixtures.Load;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.ServerCpu;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * One drain of a loaded backlog by a running relay: commits the load, then counts what the relay acknowledged in fixed
 * windows until the backlog is gone. Used by the drain and held-horizon benchmarks.
 */
final class Drainer {
    private Drainer() {}

    /**
     * What a drain measured.
     *
     * @param messages the backlog
     * @param overall messages a second from the commit to the last acknowledgement
     * @param rates the rate of each full window
     * @param windows where the relay's rounds spent their time, per window
     * @param seconds from the commit to the last acknowledgement
     * @param cost this JVM's CPU, statements and WAL per message
     * @param serverCpuMs the database server's CPU per message, from the commit to the last acknowledgement
     */
    record Result(
            long messages,
            double overall,
            List<Double> rates,
            List<String> windows,
            double seconds,
            Usage.PerUnit cost,
            double serverCpuMs) {

        /** The first full window's rate, or NaN with fewer than two windows: one compared with itself says nothing. */
        double first() {
            return rates.size() < 2 ? Double.NaN : rates.get(0);
        }

        /** The last full window's rate, or NaN with fewer than two windows. */
        double last() {
            return rates.size() < 2 ? Double.NaN : rates.get(rates.size() - 1);
        }

        /** The windows' rates, rounded, for the log. */
        List<String> rounded() {
            return rates.stream().map(r -> String.format("%.0f", r)).toList();
        }
    }

    /**
     * Commits {@code load} ({@code n} messages) and waits until {@code progress} reaches {@code before + n}.
     *
     * @param database the database the relay reads, whose WAL and CPU are counted
     */
    static Result drain(
            Settings s, Database database, RelayNode node, Progress progress, Load load, long before, long n)
            throws Exception {
        ServerCpu cpu = database.serverCpu();
        Usage usage = Usage.start(database, node.statements());
        double cpu0 = cpu.totalMillis();
        long t0 = load.commit();
        long window = s.drainWindow().toNanos();
        List<Double> rates = new ArrayList<>();
        List<String> windows = new ArrayList<>();
        RelayNode.Rounds lastRounds = node.rounds();
        long counted = before;
        long deadline = t0 + s.timeoutFor(n).toNanos();
        long end = t0;
        while (progress.done() < before + n) {
            long windowEnd = end + window;
            while (System.nanoTime() < windowEnd && progress.done() < before + n) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("drain did not finish within " + s.timeoutFor(n));
                }
                Thread.sleep(5);
            }
            long now = System.nanoTime();
            long done = progress.done();
            if (now >= windowEnd) {
                rates.add((done - counted) / (window / 1e9));
                counted = done;
                end = windowEnd;
                RelayNode.Rounds r = node.rounds();
                windows.add(r.since(lastRounds));
                lastRounds = r;
            } else {
                end = now;
            }
        }
        long t1 = progress.awaitDone(before + n, s.timeoutFor(n));
        Usage.PerUnit cost = usage.per(n);
        double serverCpu = (cpu.totalMillis() - cpu0) / Math.max(1, n);
        return new Result(n, n / ((t1 - t0) / 1e9), rates, windows, (t1 - t0) / 1e9, cost, serverCpu);
    }
}
