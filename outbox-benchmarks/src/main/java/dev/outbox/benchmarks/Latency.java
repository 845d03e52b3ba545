package dev.outbox.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * latency: commit to broker acknowledgement, for transactions that each append one message, arriving on a schedule
 * (open loop) at 50% and 80% of the pipeline's measured maximum; against the plain client's own send-to-ack latency at
 * the same rate. The maximum is measured first in the same repetition: the writers commit as fast as they can while
 * the relay publishes, and the acknowledgement rate is the maximum.
 */
final class Latency implements Benchmark {
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
            Pipeline p = new Pipeline(outbox, writers, m, node.tap(), s.writers(), warm);
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
                Bench.log("latency %s rep %d: max %.0f msg/s", broker.name(), rep + 1, max);
                for (double load : LOADS) {
                    double rate = max * load;
                    RelayNode.Rounds before = node.rounds();
                    OpenLoop run = p.openLoop(rate, s.warmup(), s.latencyPhase());
                    p.awaitDrained(progress, s);
                    Bench.log("  relay: %s", node.rounds().since(before));
                    Histogram raw;
                    if (broker instanceof RabbitSide r) {
                        r.purge(dest);
                    }
                    try (Side.Raw client = broker.raw(dest)) {
                        raw = client.openLoop(m, rate, s.warmup(), s.latencyPhase());
                    }
                    if (broker instanceof RabbitSide r) {
                        r.purge(dest);
                    }
                    String at = " @" + Math.round(load * 100) + "%";
                    for (double pct : PERCENTILES) {
                        Target target = load == 0.5 && pct == 50
                                ? Target.valueAtMost(5, "ms")
                                : load == 0.5 && pct == 99 ? Target.valueAtMost(25, "ms") : Target.NONE;
                        String label = pct == 50 ? "p50" : pct == 99 ? "p99" : "p99.9";
                        env.report()
                                .figure(name(), broker.name() + " " + label + at, "ms", "plain client", target)
                                .add(ms(run.histogram, pct), ms(raw, pct));
                    }
                    Bench.log(
                            "latency %s rep %d%s: %.0f msg/s offered, %.0f achieved (%d late > 5 ms); outbox p50 %.1f"
                                    + " p99 %.1f p99.9 %.1f ms; plain p50 %.1f p99 %.1f p99.9 %.1f ms",
                            broker.name(),
                            rep + 1,
                            at,
                            rate,
                            run.achieved,
                            run.late,
                            ms(run.histogram, 50),
                            ms(run.histogram, 99),
                            ms(run.histogram, 99.9),
                            ms(raw, 50),
                            ms(raw, 99),
                            ms(raw, 99.9));
                    if (run.achieved < rate * 0.95) {
                        env.report()
                                .note(
                                        name(),
                                        String.format(
                                                "%s%s: the writers achieved %.0f of %.0f arrivals/s",
                                                broker.name(), at, run.achieved, rate));
                    }
                }
            } finally {
                p.close();
            }
        } finally {
            broker.dropDestination(dest);
        }
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    record OpenLoop(Histogram histogram, double achieved, long late) {}

    /**
     * Writers appending one message per transaction through the outbox, and the pairing of each message's commit time
     * with its acknowledgement time.
     */
    static final class Pipeline implements TapBroker.AckObserver, AutoCloseable {
        private final Outbox outbox;
        private final HikariDataSource pool;
        private final Messages messages;
        private final TapBroker tap;
        private final int writers;
        private final long base;
        private final ExecutorService executor;
        private final AtomicLong next = new AtomicLong();
        private final LongAdder appended = new LongAdder();
        /** Message id to its commit time, or to minus its ack time when the ack came first. */
        private final ConcurrentHashMap<Long, Long> pending = new ConcurrentHashMap<>();

        private volatile Histogram histogram;
        private volatile long recordFrom;
        private volatile long recordUntil;

        /** {@code base}: messages the relay acknowledged before the writers started. */
        Pipeline(Outbox outbox, HikariDataSource pool, Messages messages, TapBroker tap, int writers, long base) {
            this.outbox = outbox;
            this.pool = pool;
            this.messages = messages;
            this.tap = tap;
            this.writers = writers;
            this.base = base;
            this.executor =
                    new ThreadPoolExecutor(writers, writers, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "outbox-bench-writer");
                        t.setDaemon(true);
                        return t;
                    });
            tap.observe(this);
        }

        /** One transaction: one message, committed; its commit time is paired with its acknowledgement. */
        private void append() {
            long i = next.getAndIncrement();
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                long id = outbox.in(c).append(messages.message(i)).value();
                c.commit();
                long committed = System.nanoTime();
                appended.increment();
                Histogram h = histogram;
                if (h == null) {
                    return;
                }
                Long ack = pending.putIfAbsent(id, committed);
                if (ack != null) {
                    pending.remove(id);
                    record(h, committed, -ack);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("append failed", e);
            }
        }

        @Override
        public void acked(long messageId, long nanoTime) {
            Histogram h = histogram;
            if (h == null) {
                return;
            }
            Long committed = pending.putIfAbsent(messageId, -nanoTime);
            if (committed != null) {
                pending.remove(messageId);
                record(h, committed, nanoTime);
            }
        }

        private void record(Histogram h, long committed, long acked) {
            if (committed >= recordFrom && committed < recordUntil) {
                h.recordValue(Math.max(0, (acked - committed) / 1000));
            }
        }

        /** All writers append as fast as they can for {@code d}; returns the acknowledgement rate meanwhile. */
        double closedLoop(Duration d) throws InterruptedException {
            AtomicBoolean stop = new AtomicBoolean();
            List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                running.add(executor.submit(() -> {
                    while (!stop.get()) {
                        append();
                    }
                }));
            }
            // The first second fills the pipe; the rate is taken after it.
            Thread.sleep(1000);
            long a0 = tap.acked();
            long t0 = System.nanoTime();
            Thread.sleep(d.toMillis());
            long a1 = tap.acked();
            long t1 = System.nanoTime();
            stop.set(true);
            for (var f : running) {
                try {
                    f.get(1, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("a writer failed", e);
                }
            }
            return (a1 - a0) / ((t1 - t0) / 1e9);
        }

        /** Transactions arrive at {@code rate} a second for {@code warmup + measure}. */
        OpenLoop openLoop(double rate, Duration warmup, Duration measure) throws InterruptedException {
            Histogram h = new ConcurrentHistogram(3);
            pending.clear();
            long interval = (long) (1e9 / rate);
            long start = System.nanoTime();
            recordFrom = start + warmup.toNanos();
            recordUntil = recordFrom + measure.toNanos();
            histogram = h;
            long late = 0;
            long a0 = 0;
            long submitted = 0;
            long firstMeasured = -1;
            for (long i = 0; ; i++) {
                long intended = start + i * interval;
                if (intended >= recordUntil) {
                    break;
                }
                long wait = intended - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else if (-wait > 5_000_000) {
                    late++;
                }
                if (firstMeasured < 0 && intended >= recordFrom) {
                    firstMeasured = submitted;
                    a0 = appended.sum();
                }
                executor.execute(this::append);
                submitted++;
            }
            long a1 = appended.sum();
            double achieved = (a1 - a0) / (measure.toNanos() / 1e9);
            // Let the last transactions commit and be acknowledged before the histogram is read.
            drainExecutor();
            return new OpenLoop(h, achieved, late);
        }

        private void drainExecutor() throws InterruptedException {
            ThreadPoolExecutor tpe = (ThreadPoolExecutor) executor;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while ((tpe.getActiveCount() > 0 || !tpe.getQueue().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }

        /** Waits until the relay has acknowledged everything appended, then stops pairing. */
        void awaitDrained(Progress progress, Settings s) throws InterruptedException {
            drainExecutor();
            progress.awaitDone(base + appended.sum(), s.timeoutFor(appended.sum()));
            histogram = null;
            pending.clear();
        }

        @Override
        public void close() {
            tap.observe(null);
            executor.shutdownNow();
            try {
                executor.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
