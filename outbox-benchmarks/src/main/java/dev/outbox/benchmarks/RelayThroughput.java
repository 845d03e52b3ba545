package dev.outbox.benchmarks;

import java.util.BitSet;

/**
 * relay-kafka, relay-rabbit: messages a second from committed outbox rows to broker acknowledgements, deletes included,
 * for a backlog committed at once; against the plain client sending the same messages with the same settings.
 */
final class RelayThroughput implements Benchmark {
    private final String side;

    RelayThroughput(String side) {
        this.side = side;
    }

    @Override
    public String name() {
        return "relay-" + side;
    }

    @Override
    public String description() {
        return "relay throughput to " + side + " vs a plain client";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        Side broker = env.side(side);
        long n = s.backlog();
        if (rep == 0 && !s.quick()) {
            warmUp(env, broker, n);
        }
        Figure f = env.report()
                .figure(name(), "throughput, backlog " + n, "msg/s", "plain client", Target.ratioAtLeast(0.8));
        String dest = broker.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        try (OutboxTable table = OutboxTable.create(env, s.lanes())) {
            // Alternate which goes first, so neither always meets a broker fuller than the other.
            boolean outboxFirst = rep % 2 == 0;
            Result raw = null;
            Result relay;
            if (!outboxFirst) {
                raw = raw(env, broker, dest, m, n);
            }
            relay = relay(env, broker, dest, table, m, n, s.batchSize());
            long delivered = broker.delivered(dest);
            if (outboxFirst) {
                raw = raw(env, broker, dest, m, n);
            }
            f.add(relay.rate, raw.rate)
                    .extra(Figure.CPU, relay.cost.cpuMs())
                    .extra(Figure.BASELINE_CPU, raw.cost.cpuMs())
                    .extra(Figure.STATEMENTS, relay.cost.statements())
                    .extra(Figure.WAL, relay.cost.walBytes());
            Bench.log(
                    "%s rep %d: relay %.0f msg/s, plain %.0f msg/s, ratio %.2f; relay cpu %.3f ms/msg, %.3f"
                            + " stmts/msg, %.0f WAL B/msg; %d duplicates, %d delivered",
                    name(),
                    rep + 1,
                    relay.rate,
                    raw.rate,
                    relay.rate / raw.rate,
                    relay.cost.cpuMs(),
                    relay.cost.statements(),
                    relay.cost.walBytes(),
                    relay.duplicates,
                    delivered);
            env.report().note(broker.name() + " rounds", relay.rounds);
            if (relay.duplicates > 0) {
                f.note("duplicates seen: " + relay.duplicates);
            }
        } finally {
            broker.dropDestination(dest);
        }
    }

    /**
     * One untimed pass of both, on a table and destination of its own: without it the first repetition's relay ran at
     * two thirds of the later ones' rate (its JVM, the connections and PostgreSQL's caches still cold), whatever the
     * warm-up messages before each timed phase.
     */
    private void warmUp(Env env, Side broker, long n) throws Exception {
        Settings s = env.settings();
        String dest = broker.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        try (OutboxTable table = OutboxTable.create(env, s.lanes())) {
            Result relay = relay(env, broker, dest, table, m, n, s.batchSize());
            Result raw = raw(env, broker, dest, m, n);
            Bench.log("%s untimed warm-up pass: relay %.0f msg/s, plain %.0f msg/s", name(), relay.rate, raw.rate);
        } finally {
            broker.dropDestination(dest);
        }
    }

    /** A rate, its cost, the duplicates the tap saw, and (for the relay) where its rounds spent their time. */
    record Result(double rate, Usage.PerUnit cost, long duplicates, String rounds) {}

    /** Drains a backlog of {@code n} with one relay on {@code table}, after a warm-up; returns its rate. */
    static Result relay(Env env, Side broker, String dest, OutboxTable table, Messages m, long n, int batchSize)
            throws Exception {
        Settings s = env.settings();
        Progress progress = new Progress();
        try (RelayNode node =
                new RelayNode(table, broker.broker(dest), new BitSet(), progress, batchSize, s.concurrency())) {
            long warm = s.warmMessages();
            table.warm(m, 0, warm);
            node.start().awaitLanes(table.config().lanes(), java.time.Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            OutboxTable.Load load = table.copy(m, warm, n);
            Usage usage = Usage.start(env, node.statements());
            RelayNode.Rounds before = node.rounds();
            long t0 = load.commit();
            long t1 = progress.awaitDone(warm + n, s.timeoutFor(n));
            Usage.PerUnit cost = usage.per(n);
            String rounds = node.rounds().since(before);
            Bench.log("  relay: %s", rounds);
            return new Result(n / ((t1 - t0) / 1e9), cost, node.tap().duplicates(), rounds);
        }
    }

    /** Sends the same {@code n} messages with the plain client, after a warm-up; returns its rate. */
    static Result raw(Env env, Side broker, String dest, Messages m, long n) throws Exception {
        if (broker instanceof RabbitSide r) {
            r.purge(dest);
        }
        try (Side.Raw raw = broker.raw(dest)) {
            raw.sendAll(m, 0, env.settings().warmMessages());
            Usage usage = Usage.start(env, null);
            long nanos = raw.sendAll(m, env.settings().warmMessages(), n);
            Usage.PerUnit cost = usage.per(n);
            Result r = new Result(n / (nanos / 1e9), cost, 0, "");
            if (broker instanceof RabbitSide rs) {
                rs.purge(dest);
            }
            return r;
        }
    }
}
