package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.Side;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Usage;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * sweep: the relay's rate to Kafka over batch sizes and lane counts, then over its concurrency at the default batch
 * size and lanes, one run each, time-boxed, so the defaults can be chosen from numbers. Runs only when asked for
 * ({@code --sweep} or {@code --only sweep}).
 */
final class Sweep implements Scenario<Env> {
    static final List<Integer> BATCH_SIZES = List.of(1, 10, 100, 1000, 5000);
    static final List<Integer> LANES = List.of(1, 8, 64, 256);
    static final List<Integer> CONCURRENCY = List.of(1, 2, 3, 4, 6);

    @Override
    public String name() {
        return "sweep";
    }

    @Override
    public String description() {
        return "relay-kafka over batch sizes 1/10/100/1000/5000 and lanes 1/8/64/256, then concurrency 1/2/3/4/6";
    }

    /** Only with {@code --sweep} or {@code --only sweep}. */
    @Override
    public boolean onlyWhenNamed() {
        return true;
    }

    /** Once per run: each point is one measurement. */
    @Override
    public boolean repeated() {
        return false;
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        for (int lanes : LANES) {
            try (Source source = new Source(env, lanes)) {
                for (int batch : BATCH_SIZES) {
                    source.measure(batch, s.concurrency());
                }
            }
        }
        try (Source source = new Source(env, s.lanes())) {
            for (int concurrency : CONCURRENCY) {
                source.measure(s.batchSize(), concurrency);
            }
        }
    }

    /** A table and a topic that runs of one relay after another drain, topped up before each. */
    private static final class Source implements AutoCloseable {
        private final Env env;
        private final Side broker;
        private final String dest;
        private final Messages m;
        private final OutboxTable table;
        private final int lanes;
        private long loaded;
        private long consumed;

        Source(Env env, int lanes) throws Exception {
            this.env = env;
            this.broker = env.kafka();
            this.dest = broker.createDestination();
            this.m = Messages.of(dest, env.settings().keys(), env.settings().payloadBytes());
            this.table = OutboxTable.create(env, lanes);
            this.lanes = lanes;
        }

        void measure(int batch, int concurrency) throws Exception {
            Settings s = env.settings();
            Duration box = s.quick() ? Duration.ofSeconds(4) : Duration.ofSeconds(8);
            // Enough that the warm-up second and the box never run dry, at any rate seen here.
            long wanted = 2 * s.backlog();
            if (loaded - consumed < wanted) {
                long more = wanted - (loaded - consumed);
                table.warm(m, loaded, more);
                loaded += more;
            }
            Progress progress = new Progress();
            double rate;
            Usage.PerUnit cost;
            try (RelayNode node =
                    new RelayNode(table, broker.broker(dest), new BitSet(), progress, batch, concurrency)) {
                node.start();
                // The first second connects and warms; the rate is taken over the box after it.
                Thread.sleep(1000);
                long d0 = progress.done();
                Usage usage = Usage.start(env.postgres(), node.statements());
                long t0 = System.nanoTime();
                long end = t0 + box.toNanos();
                while (System.nanoTime() < end && consumed + progress.done() < loaded) {
                    Thread.sleep(10);
                }
                long d1 = progress.done();
                long t1 = System.nanoTime();
                cost = usage.per(d1 - d0);
                rate = (d1 - d0) / ((t1 - t0) / 1e9);
                consumed += progress.done();
            }
            int used = Math.min(concurrency, lanes);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("lanes", lanes);
            row.put("batch_size", batch);
            row.put("concurrency", used);
            row.put("msgs_per_s", Math.round(rate));
            row.put("cpu_ms_per_msg", round(cost.cpuMs()));
            row.put("statements_per_msg", round(cost.statements()));
            row.put("wal_bytes_per_msg", Math.round(cost.walBytes()));
            env.report().sweepRow(row);
            Log.info(
                    "sweep lanes %d batch %d concurrency %d: %.0f msg/s, %.3f cpu ms/msg, %.3f stmts/msg,"
                            + " %.0f WAL B/msg",
                    lanes, batch, used, rate, cost.cpuMs(), cost.statements(), cost.walBytes());
        }

        @Override
        public void close() {
            try {
                table.close();
            } finally {
                broker.dropDestination(dest);
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
