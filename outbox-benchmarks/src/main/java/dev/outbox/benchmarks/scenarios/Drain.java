package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.Load;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.Side;
import dev.outbox.benchmarks.harness.Figure;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * drain: one relay drains a large backlog to Kafka; its rate in fixed windows shows whether it slows down as the
 * table's front fills with deleted rows. The figure is the last full window's rate against the first's.
 */
final class Drain implements Scenario<Env> {

    @Override
    public String name() {
        return "drain";
    }

    @Override
    public String description() {
        return "a large backlog drained to Kafka: rate per window, last vs first";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        Side broker = env.kafka();
        long n = s.drainMessages();
        String dest = broker.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        Progress progress = new Progress();
        try (OutboxTable table = OutboxTable.create(env, s.lanes());
                RelayNode node = new RelayNode(
                        table, broker.broker(dest), new BitSet(), progress, s.batchSize(), s.concurrency())) {
            long warm = s.warmMessages();
            table.warm(m, 0, warm);
            node.start().awaitLanes(s.lanes(), Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            long loadStart = System.nanoTime();
            Load load = table.copy(m, warm, n);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            Drainer.Result r = Drainer.drain(s, env.postgres(), node, progress, load, warm, n);
            List<Double> rates = r.rates();
            if (rates.size() < 2) {
                env.report()
                        .note(
                                name(),
                                "the backlog drained within " + rates.size() + " full window(s): no trend to compare;"
                                        + " raise --drain-messages");
            }
            env.report()
                    .figure(
                            name(),
                            n + " msgs, last vs first " + s.drainWindow().toSeconds() + " s window",
                            "msg/s",
                            "first window",
                            Target.ratioAtLeast(0.9))
                    .add(r.last(), r.first())
                    .extra(Figure.CPU, r.cost().cpuMs())
                    .extra(Figure.STATEMENTS, r.cost().statements())
                    .extra(Figure.WAL, r.cost().walBytes());
            env.report()
                    .figure(name(), n + " msgs, overall", "msg/s", "", Target.NONE)
                    .add(r.overall(), Double.NaN);
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("window_rates", rates);
            detail.put("window_rounds", r.windows());
            detail.put("overall_rate", r.overall());
            detail.put("load_seconds", loadSeconds);
            detail.put("drain_seconds", r.seconds());
            detail.put("server_cpu_ms_per_msg", r.serverCpuMs());
            env.report().detail("drain.rep" + (rep + 1), detail);
            Log.info(
                    "drain rep %d: %d msgs loaded in %.1f s, drained in %.1f s (%.0f msg/s); windows %s",
                    rep + 1, n, loadSeconds, r.seconds(), r.overall(), r.rounded());
            r.windows().forEach(w -> Log.info("  window: %s", w));
        } finally {
            broker.dropDestination(dest);
        }
    }
}
