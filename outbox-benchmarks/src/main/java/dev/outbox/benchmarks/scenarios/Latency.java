package dev.outbox.benchmarks.scenarios;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RabbitSide;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.Side;
import dev.outbox.benchmarks.fixtures.Writers;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * latency: commit to broker acknowledgement, for transactions that each append one message, arriving on a schedule
 * (open loop) at 50% and 80% of the pipeline's measured maximum; against the plain client's own send-to-ack latency at
 * the same rate. The maximum is measured first in the same repetition: the writers commit as fast as they can while
 * the relay publishes, and the acknowledgement rate is the maximum.
 */
final class Latency implements Scenario<Env> {
    static final List<Double> LOADS = List.of(0.5, 0.8);
    private static final double[] PERCENTILES = {50, 99, 99.9};

    @Override
    public String name() {
        return "latency";
    }

    @Override
    public String description() {
        return "commit-to-ack latency at 50% and 80% of the maximum, Kafka and RabbitMQ";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        for (String side : List.of("kafka", "rabbit")) {
            runSide(env, env.side(side), rep);
        }
    }

    private void runSide(Env env, Side broker, int rep) throws Exception {
        Settings s = env.settings();
        String dest = broker.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        Progress progress = new Progress();
        try (OutboxTable table = OutboxTable.create(env, s.lanes());
                RelayNode node = new RelayNode(
                        table, broker.broker(dest), new BitSet(), progress, s.batchSize(), s.concurrency());
                HikariDataSource writers = table.schema().newPool(s.writers())) {
            long warm = s.warmMessages();
            table.warm(m, 0, warm);
            node.start().awaitLanes(s.lanes(), Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            Outbox outbox = Outbox.builder().store(table.store()).build();
            Writers p = new Writers(outbox, writers, m, node.tap(), s.writers(), warm);
            try {
                p.closedLoop(s.warmup());
                p.awaitDrained(progress, s);
                double max = p.closedLoop(s.latencyPhase());
                p.awaitDrained(progress, s);
                env.report()
                        .figure(
                                name(),
                                broker.name() + " max commit→ack rate, " + s.writers() + " writers",
                                "msg/s",
                                "",
                                Target.NONE)
                        .add(max, Double.NaN);
                Log.info("latency %s rep %d: max %.0f msg/s", broker.name(), rep + 1, max);
                for (double load : LOADS) {
                    double rate = max * load;
                    // Each side starts on an empty queue: a RabbitMQ classic queue holding the earlier phases'
                    // messages confirms more slowly (p99 209 ms with 150k messages in it, against 48 ms empty, for the
                    // same plain publisher at 600 msg/s), which would charge the queue's depth to whichever side ran
                    // after the deeper one.
                    purge(broker, dest);
                    RelayNode.Rounds before = node.rounds();
                    Writers.OpenLoop run = p.openLoop(rate, s.warmup(), s.latencyPhase());
                    p.awaitDrained(progress, s);
                    Log.info("  relay: %s", node.rounds().since(before));
                    Histogram raw;
                    purge(broker, dest);
                    try (Side.Raw client = broker.raw(dest)) {
                        raw = client.openLoop(m, rate, s.warmup(), s.latencyPhase());
                    }
                    String at = " @" + Math.round(load * 100) + "%";
                    for (double pct : PERCENTILES) {
                        Target target = load == 0.5 ? target(broker.name(), pct) : Target.NONE;
                        String label = pct == 50 ? "p50" : pct == 99 ? "p99" : "p99.9";
                        env.report()
                                .figure(name(), broker.name() + " " + label + at, "ms", "plain client", target)
                                .add(ms(run.histogram(), pct), ms(raw, pct));
                    }
                    Log.info(
                            "latency %s rep %d%s: %.0f msg/s offered, %.0f achieved (%d late > 5 ms); outbox p50 %.1f"
                                    + " p99 %.1f p99.9 %.1f ms; plain p50 %.1f p99 %.1f p99.9 %.1f ms",
                            broker.name(),
                            rep + 1,
                            at,
                            rate,
                            run.achieved(),
                            run.late(),
                            ms(run.histogram(), 50),
                            ms(run.histogram(), 99),
                            ms(run.histogram(), 99.9),
                            ms(raw, 50),
                            ms(raw, 99),
                            ms(raw, 99.9));
                    if (run.achieved() < rate * 0.95) {
                        env.report()
                                .note(
                                        name(),
                                        String.format(
                                                "%s%s: the writers achieved %.0f of %.0f arrivals/s",
                                                broker.name(), at, run.achieved(), rate));
                    }
                }
            } finally {
                p.close();
            }
        } finally {
            broker.dropDestination(dest);
        }
    }

    /**
     * The targets at 50% load: to Kafka p50 ≤ 2 ms and p99 ≤ 10 ms; to RabbitMQ p50 ≤ 5 ms and p99 at most twice the
     * plain publisher's at the same rate (its confirms alone stall for tens of milliseconds).
     */
    private static Target target(String broker, double percentile) {
        boolean kafka = broker.equals("kafka");
        if (percentile == 50) {
            return Target.valueAtMost(kafka ? 2 : 5, "ms");
        }
        if (percentile == 99) {
            return kafka ? Target.valueAtMost(10, "ms") : Target.ratioAtMost(2.0);
        }
        return Target.NONE;
    }

    private static void purge(Side broker, String dest) {
        if (broker instanceof RabbitSide r) {
            r.purge(dest);
        }
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }
}
