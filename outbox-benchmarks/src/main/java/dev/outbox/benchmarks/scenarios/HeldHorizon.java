package dev.outbox.benchmarks.scenarios;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.benchmarks.fixtures.Database;
import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.HorizonHolder;
import dev.outbox.benchmarks.fixtures.KafkaSide;
import dev.outbox.benchmarks.fixtures.Load;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.Writers;
import dev.outbox.benchmarks.harness.Figure;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * held-horizon: what a long transaction elsewhere does to the relay. Any open transaction with a transaction id
 * ({@code pg_dump}, a report, a session idle in transaction) keeps vacuum from removing the rows the relay deletes.
 *
 * <ul>
 *   <li>The same drain to Kafka three times, each on a table of its own: analysed; analysed with a session holding
 *       the horizon ({@code begin; select pg_current_xact_id();}) for the whole drain; and on a table PostgreSQL never
 *       analysed (autovacuum off on it, no {@code ANALYZE}). Figures: the held drain's overall rate against the
 *       clean one's (target ≥ 0.8), its last 10 s window against its first (≥ 0.9), and the cold drain against the
 *       analysed one (≥ 0.9).
 *   <li>A steady part: transactions arriving on a schedule at 50% of the measured maximum, first without, then with
 *       the horizon held, each for {@code --steady-seconds}. Figure: commit→ack p99 with against without (≤ 1.5×).
 * </ul>
 *
 * The log and the report's details show each table's dead rows ({@code n_dead_tup}) and size before and after.
 */
final class HeldHorizon implements Scenario<Env> {

    /** The table a drain runs on. */
    private enum Table {
        ANALYSED("analysed"),
        HELD("analysed, horizon held"),
        COLD("never analysed");

        final String text;

        Table(String text) {
            this.text = text;
        }
    }

    @Override
    public String name() {
        return "held-horizon";
    }

    @Override
    public String description() {
        return "drains without and with a transaction holding the xmin horizon, and on a never-analysed table;"
                + " commit-to-ack p99 at 50% load with the horizon held";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        long n = s.horizonMessages();
        if (rep == 0 && !s.quick()) {
            // Whichever drain went first would otherwise also pay for the JIT, the pools and the caches.
            Drainer.Result warm = drain(env, Table.ANALYSED, rep, Math.min(n, s.backlog()), false);
            Log.info("held-horizon untimed warm-up drain: %.0f msg/s", warm.overall());
        }
        Map<Table, Drainer.Result> drains = new LinkedHashMap<>();
        for (Table t : Table.values()) {
            drains.put(t, drain(env, t, rep, n, true));
        }
        Drainer.Result clean = drains.get(Table.ANALYSED);
        Drainer.Result held = drains.get(Table.HELD);
        Drainer.Result cold = drains.get(Table.COLD);
        env.report()
                .figure(
                        name(),
                        n + " msgs, overall, horizon held vs not",
                        "msg/s",
                        "not held",
                        Target.ratioAtLeast(0.8))
                .add(held.overall(), clean.overall())
                .extra(Figure.CPU, held.cost().cpuMs())
                .extra(Figure.BASELINE_CPU, clean.cost().cpuMs())
                .extra(Figure.PG_CPU, held.serverCpuMs())
                .extra(Figure.BASELINE_PG_CPU, clean.serverCpuMs())
                .extra(Figure.STATEMENTS, held.cost().statements())
                .extra(Figure.WAL, held.cost().walBytes());
        env.report()
                .figure(
                        name(),
                        n + " msgs, horizon held, last vs first "
                                + s.drainWindow().toSeconds() + " s window",
                        "msg/s",
                        "first window",
                        Target.ratioAtLeast(0.9))
                .add(held.last(), held.first());
        if (held.rates().size() < 2) {
            env.report()
                    .note(
                            name(),
                            "the held drain took " + held.rates().size() + " full window(s): no trend to compare;"
                                    + " raise --horizon-messages");
        }
        env.report()
                .figure(
                        name(),
                        n + " msgs, overall, never analysed vs analysed",
                        "msg/s",
                        "analysed",
                        Target.ratioAtLeast(0.9))
                .add(cold.overall(), clean.overall())
                .extra(Figure.CPU, cold.cost().cpuMs())
                .extra(Figure.BASELINE_CPU, clean.cost().cpuMs())
                .extra(Figure.PG_CPU, cold.serverCpuMs())
                .extra(Figure.BASELINE_PG_CPU, clean.serverCpuMs())
                .extra(Figure.STATEMENTS, cold.cost().statements())
                .extra(Figure.WAL, cold.cost().walBytes());
        steady(env, rep);
    }

    /** One drain of {@code n} messages on a table of its own; {@code timed}: its table's state goes to the report. */
    private Drainer.Result drain(Env env, Table kind, int rep, long n, boolean timed) throws Exception {
        Settings s = env.settings();
        KafkaSide kafka = env.kafka();
        String dest = kafka.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        Progress progress = new Progress();
        try (OutboxTable table = OutboxTable.create(env, s.lanes());
                RelayNode node = new RelayNode(
                        table, kafka.broker(dest), new BitSet(), progress, s.batchSize(), s.concurrency())) {
            long warm = s.warmMessages();
            if (kind == Table.COLD) {
                table.neverAnalyse();
                table.load(m, 0, warm);
            } else {
                table.load(m, 0, warm);
                table.vacuum();
            }
            node.start().awaitLanes(s.lanes(), Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            long loadStart = System.nanoTime();
            Load load = table.copy(m, warm, n);
            if (kind != Table.COLD) {
                load.analyse();
            }
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            HorizonHolder holder = kind == Table.HELD ? HorizonHolder.hold(table.database()) : null;
            Drainer.Result r;
            OutboxTable.TableStats before;
            OutboxTable.TableStats after;
            try {
                // Read before the commit, so that nothing is timed meanwhile: the size counts the backlog already.
                before = table.stats();
                r = Drainer.drain(s, table.database(), node, progress, load, warm, n);
                after = table.settledStats();
            } finally {
                if (holder != null) {
                    holder.close();
                }
            }
            if (!timed) {
                return r;
            }
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("window_rates", r.rates());
            detail.put("window_rounds", r.windows());
            detail.put("overall_rate", r.overall());
            detail.put("load_seconds", loadSeconds);
            detail.put("drain_seconds", r.seconds());
            detail.put("server_cpu_ms_per_msg", r.serverCpuMs());
            detail.put("table_before", before);
            detail.put("table_after", after);
            String key = kind.name().toLowerCase(java.util.Locale.ROOT);
            env.report().detail(name() + ".rep" + (rep + 1) + "." + key, detail);
            env.report()
                    .note(
                            name(),
                            String.format(
                                    java.util.Locale.ROOT,
                                    "rep %d, %s: message table %s before the drain, %s after%s",
                                    rep + 1,
                                    kind.text,
                                    before,
                                    after,
                                    holder != null ? " (horizon still held)" : ""));
            Log.info(
                    "held-horizon rep %d, %s: %d msgs loaded in %.1f s, drained in %.1f s (%.0f msg/s, PostgreSQL"
                            + " %.3f CPU ms/msg); windows %s",
                    rep + 1, kind.text, n, loadSeconds, r.seconds(), r.overall(), r.serverCpuMs(), r.rounded());
            Log.info("  table before: %s; after: %s", before, after);
            r.windows().forEach(w -> Log.info("  window: %s", w));
            return r;
        } finally {
            kafka.dropDestination(dest);
        }
    }

    /**
     * Open-loop arrivals at 50% of the maximum, without then with the horizon held, on one table and relay; the table
     * is vacuumed before each part so both start clean.
     */
    private void steady(Env env, int rep) throws Exception {
        Settings s = env.settings();
        KafkaSide kafka = env.kafka();
        String dest = kafka.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        Progress progress = new Progress();
        try (OutboxTable table = OutboxTable.create(env, s.lanes());
                RelayNode node = new RelayNode(
                        table, kafka.broker(dest), new BitSet(), progress, s.batchSize(), s.concurrency());
                HikariDataSource pool = table.schema().newPool(s.writers())) {
            long warm = s.warmMessages();
            table.load(m, 0, warm);
            table.vacuum();
            node.start().awaitLanes(s.lanes(), Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            Outbox outbox = Outbox.builder().store(table.store()).build();
            try (Writers writers = new Writers(outbox, pool, m, node.tap(), s.writers(), warm)) {
                writers.closedLoop(s.warmup());
                writers.awaitDrained(progress, s);
                double max = writers.closedLoop(s.latencyPhase());
                writers.awaitDrained(progress, s);
                double rate = max / 2;
                Log.info("held-horizon rep %d steady: max %.0f msg/s, arrivals at %.0f msg/s", rep + 1, max, rate);

                table.vacuum();
                OutboxTable.TableStats cleanBefore = table.stats();
                Database.Writes writesBefore = table.database().writes();
                RelayNode.Rounds roundsBefore = node.rounds();
                Writers.OpenLoop clean = writers.openLoop(rate, s.warmup(), s.steadyPhase());
                Log.info("  relay without the horizon held: %s", node.rounds().since(roundsBefore));
                Database.Writes cleanWrites = table.database().writes().since(writesBefore);
                writers.awaitDrained(progress, s);
                OutboxTable.TableStats cleanAfter = table.settledStats();

                table.vacuum();
                Database.Writes heldWrites;
                Writers.OpenLoop held;
                OutboxTable.TableStats heldBefore;
                OutboxTable.TableStats heldAfter;
                try (HorizonHolder holder = HorizonHolder.hold(table.database())) {
                    Log.info("  horizon held by transaction %d", holder.xid());
                    heldBefore = table.stats();
                    Database.Writes heldWritesBefore = table.database().writes();
                    RelayNode.Rounds heldRoundsBefore = node.rounds();
                    held = writers.openLoop(rate, s.warmup(), s.steadyPhase());
                    Log.info("  relay with the horizon held: %s", node.rounds().since(heldRoundsBefore));
                    heldWrites = table.database().writes().since(heldWritesBefore);
                    writers.awaitDrained(progress, s);
                    heldAfter = table.settledStats();
                }

                String at = " @50% (" + Math.round(rate) + " msg/s), "
                        + s.steadyPhase().toSeconds() + " s";
                env.report()
                        .figure(
                                name(),
                                "commit→ack p99, horizon held vs not" + at,
                                "ms",
                                "not held",
                                Target.ratioAtMost(1.5))
                        .add(ms(held.histogram(), 99), ms(clean.histogram(), 99));
                env.report()
                        .figure(name(), "commit→ack p50, horizon held vs not" + at, "ms", "not held", Target.NONE)
                        .add(ms(held.histogram(), 50), ms(clean.histogram(), 50));
                for (Writers.OpenLoop run : new Writers.OpenLoop[] {clean, held}) {
                    if (run.achieved() < rate * 0.95) {
                        env.report()
                                .note(
                                        name(),
                                        String.format(
                                                java.util.Locale.ROOT,
                                                "steady%s: the writers achieved %.0f of %.0f arrivals/s",
                                                run == held ? " with the horizon held" : "",
                                                run.achieved(),
                                                rate));
                    }
                }
                env.report()
                        .note(
                                name(),
                                String.format(
                                        java.util.Locale.ROOT,
                                        "rep %d, steady: message table %s → %s without the horizon held, %s → %s with"
                                                + " it",
                                        rep + 1,
                                        cleanBefore,
                                        cleanAfter,
                                        heldBefore,
                                        heldAfter));
                Log.info(
                        "held-horizon rep %d steady%s: p50 %.1f / p99 %.1f ms without, p50 %.1f / p99 %.1f ms with the"
                                + " horizon held",
                        rep + 1,
                        at,
                        ms(clean.histogram(), 50),
                        ms(clean.histogram(), 99),
                        ms(held.histogram(), 50),
                        ms(held.histogram(), 99));
                Log.info("  table without: %s → %s; with: %s → %s", cleanBefore, cleanAfter, heldBefore, heldAfter);
                env.report()
                        .note(
                                name(),
                                String.format(
                                        java.util.Locale.ROOT,
                                        "rep %d, steady: the server during the part without the horizon held: %s;"
                                                + " with it: %s",
                                        rep + 1,
                                        cleanWrites,
                                        heldWrites));
            }
        } finally {
            kafka.dropDestination(dest);
        }
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }
}
