package dev.outbox.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * drain: one relay drains a large backlog to Kafka; its rate in fixed windows shows whether it slows down as the
 * table's front fills with deleted rows. The figure is the last full window's rate against the first's.
 */
final class Drain implements Benchmark {

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
            OutboxTable.Load load = table.copy(m, warm, n);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            Usage usage = Usage.start(env, node.statements());
            long t0 = load.commit();
            long window = s.drainWindow().toNanos();
            List<Double> rates = new ArrayList<>();
            List<String> windows = new ArrayList<>();
            RelayNode.Rounds lastRounds = node.rounds();
            long before = warm;
            long deadline = t0 + s.timeoutFor(n).toNanos();
            long end = t0;
            while (progress.done() < warm + n) {
                long windowEnd = end + window;
                while (System.nanoTime() < windowEnd && progress.done() < warm + n) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("drain did not finish within " + s.timeoutFor(n));
                    }
                    Thread.sleep(5);
                }
                long now = System.nanoTime();
                long done = progress.done();
                if (now >= windowEnd) {
                    rates.add((done - before) / (window / 1e9));
                    before = done;
                    end = windowEnd;
                    RelayNode.Rounds r = node.rounds();
                    windows.add(r.since(lastRounds));
                    lastRounds = r;
                } else {
                    end = now;
                }
            }
            long t1 = progress.awaitDone(warm + n, s.timeoutFor(n));
            Usage.PerUnit cost = usage.per(n);
            double overall = n / ((t1 - t0) / 1e9);
            // One window compared with itself says nothing about a slowdown: no ratio then.
            double first = rates.size() < 2 ? Double.NaN : rates.get(0);
            double last = rates.size() < 2 ? Double.NaN : rates.get(rates.size() - 1);
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
                    .add(last, first)
                    .extra(Figure.CPU, cost.cpuMs())
                    .extra(Figure.STATEMENTS, cost.statements())
                    .extra(Figure.WAL, cost.walBytes());
            env.report()
                    .figure(name(), n + " msgs, overall", "msg/s", "", Target.NONE)
                    .add(overall, Double.NaN);
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("window_rates", rates);
            detail.put("window_rounds", windows);
            detail.put("overall_rate", overall);
            detail.put("load_seconds", loadSeconds);
            detail.put("drain_seconds", (t1 - t0) / 1e9);
            env.report().detail("drain.rep" + (rep + 1), detail);
            Bench.log(
                    "drain rep %d: %d msgs loaded in %.1f s, drained in %.1f s (%.0f msg/s); windows %s",
                    rep + 1,
                    n,
                    loadSeconds,
                    (t1 - t0) / 1e9,
                    overall,
                    rates.stream().map(r -> String.format("%.0f", r)).toList());
            windows.forEach(w -> Bench.log("  window: %s", w));
        } finally {
            broker.dropDestination(dest);
        }
    }
}
