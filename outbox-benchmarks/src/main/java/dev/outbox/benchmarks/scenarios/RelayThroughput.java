package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.KafkaSide;
import dev.outbox.benchmarks.fixtures.Load;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.PlainRelay;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RabbitSide;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.ServerCpu;
import dev.outbox.benchmarks.fixtures.Side;
import dev.outbox.benchmarks.harness.Figure;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import dev.outbox.benchmarks.harness.Usage;
import dev.outbox.spi.Broker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * relay-kafka, relay-rabbit: messages a second from committed outbox rows to broker acknowledgements, deletes included,
 * for a backlog committed at once; against the plain client sending the same messages with the same settings. To
 * Kafka, also against the hand-written loop ({@link PlainRelay}) draining the same backlog from a table of the same
 * shape: the practical limit of a polling relay.
 */
final class RelayThroughput implements Scenario<Env> {
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
        return side.equals("kafka")
                ? "relay throughput to kafka vs a plain producer and vs a hand-written relay loop"
                : "relay throughput to " + side + " vs a plain client";
    }

    /** The three ways of moving the backlog; the hand-written loop only to Kafka. */
    private enum Way {
        RELAY,
        PLAIN_CLIENT,
        HAND_WRITTEN
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
            // Rotate which goes first, so none always meets a broker fuller than the others.
            List<Way> order = new ArrayList<>(List.of(Way.RELAY, Way.PLAIN_CLIENT));
            if (broker instanceof KafkaSide) {
                order.add(Way.HAND_WRITTEN);
            }
            Collections.rotate(order, -(rep % order.size()));
            Result relay = null;
            Result raw = null;
            Result loop = null;
            long delivered = -1;
            for (Way way : order) {
                switch (way) {
                    case RELAY -> {
                        relay = relay(env, broker, dest, table, m, n, s.batchSize());
                        delivered = broker.delivered(dest);
                    }
                    case PLAIN_CLIENT -> raw = raw(env, broker, dest, m, n);
                    case HAND_WRITTEN -> loop = handWritten(env, (KafkaSide) broker, dest, m, n);
                }
            }
            f.add(relay.rate, raw.rate)
                    .extra(Figure.CPU, relay.cost.cpuMs())
                    .extra(Figure.BASELINE_CPU, raw.cost.cpuMs())
                    .extra(Figure.STATEMENTS, relay.cost.statements())
                    .extra(Figure.WAL, relay.cost.walBytes());
            Log.info(
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
            if (loop != null) {
                env.report()
                        .figure(
                                name(),
                                "throughput vs a hand-written relay loop, backlog " + n,
                                "msg/s",
                                "hand-written loop",
                                Target.ratioAtLeast(0.95))
                        .add(relay.rate, loop.rate)
                        .extra(Figure.CPU, relay.cost.cpuMs())
                        .extra(Figure.BASELINE_CPU, loop.cost.cpuMs())
                        .extra(Figure.PG_CPU, relay.serverCpuMs)
                        .extra(Figure.BASELINE_PG_CPU, loop.serverCpuMs)
                        .extra(Figure.STATEMENTS, relay.cost.statements())
                        .extra(Figure.WAL, relay.cost.walBytes());
                Log.info(
                        "%s rep %d: relay %.0f msg/s, hand-written loop %.0f msg/s, ratio %.2f; PostgreSQL CPU"
                                + " %.3f vs %.3f ms/msg",
                        name(),
                        rep + 1,
                        relay.rate,
                        loop.rate,
                        relay.rate / loop.rate,
                        relay.serverCpuMs,
                        loop.serverCpuMs);
            }
            env.report().note(broker.name() + " rounds", relay.rounds);
            if (relay.duplicates > 0) {
                f.note("duplicates seen: " + relay.duplicates);
            }
        } finally {
            broker.dropDestination(dest);
        }
    }

    /**
     * One untimed pass of each, on a table and destination of its own: without it the first repetition's relay ran at
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
            Log.info("%s untimed warm-up pass: relay %.0f msg/s, plain %.0f msg/s", name(), relay.rate, raw.rate);
            if (broker instanceof KafkaSide kafka) {
                Result loop = handWritten(env, kafka, dest, m, n);
                Log.info("%s untimed warm-up pass: hand-written loop %.0f msg/s", name(), loop.rate);
            }
        } finally {
            broker.dropDestination(dest);
        }
    }

    /**
     * A rate, its cost, the duplicates the tap saw, (for the relay) where its rounds spent their time, and the
     * database server's CPU per message (NaN for the plain client).
     */
    record Result(double rate, Usage.PerUnit cost, long duplicates, String rounds, double serverCpuMs) {}

    /** Drains a backlog of {@code n} with one relay on {@code table}, after a warm-up; returns its rate. */
    static Result relay(Env env, Side broker, String dest, OutboxTable table, Messages m, long n, int batchSize)
            throws Exception {
        return relay(env, broker, dest, table, m, n, batchSize, UnaryOperator.identity());
    }

    /** The same, the relay publishing through {@code decorate} applied to the side's broker. */
    static Result relay(
            Env env,
            Side broker,
            String dest,
            OutboxTable table,
            Messages m,
            long n,
            int batchSize,
            UnaryOperator<Broker> decorate)
            throws Exception {
        return relayOn(env, decorate.apply(broker.broker(dest)), table, m, n, batchSize);
    }

    /** Drains a backlog of {@code n} with one relay on {@code table} publishing through {@code broker} (closed after). */
    static Result relayOn(Env env, Broker broker, OutboxTable table, Messages m, long n, int batchSize)
            throws Exception {
        Settings s = env.settings();
        Progress progress = new Progress();
        try (RelayNode node = new RelayNode(table, broker, new BitSet(), progress, batchSize, s.concurrency())) {
            long warm = s.warmMessages();
            table.warm(m, 0, warm);
            node.start().awaitLanes(table.config().lanes(), Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            Load load = table.copy(m, warm, n);
            ServerCpu cpu = table.database().serverCpu();
            Usage usage = Usage.start(table.database(), node.statements());
            RelayNode.Rounds before = node.rounds();
            double cpu0 = cpu.totalMillis();
            long t0 = load.commit();
            long t1 = progress.awaitDone(warm + n, s.timeoutFor(n));
            Usage.PerUnit cost = usage.per(n);
            double serverCpu = (cpu.totalMillis() - cpu0) / n;
            String rounds = node.rounds().since(before);
            Log.info("  relay: %s", rounds);
            return new Result(n / ((t1 - t0) / 1e9), cost, node.tap().duplicates(), rounds, serverCpu);
        }
    }

    /** Sends the same {@code n} messages with the plain client, after a warm-up; returns its rate. */
    static Result raw(Env env, Side broker, String dest, Messages m, long n) throws Exception {
        if (broker instanceof RabbitSide r) {
            r.purge(dest);
        }
        try (Side.Raw raw = broker.raw(dest)) {
            raw.sendAll(m, 0, env.settings().warmMessages());
            Usage usage = Usage.start(env.postgres(), null);
            long nanos = raw.sendAll(m, env.settings().warmMessages(), n);
            Usage.PerUnit cost = usage.per(n);
            Result r = new Result(n / (nanos / 1e9), cost, 0, "", Double.NaN);
            if (broker instanceof RabbitSide rs) {
                rs.purge(dest);
            }
            return r;
        }
    }

    /**
     * Drains the same backlog with the hand-written loop, from a table of its own of the store's shape, warmed and
     * analysed as the relay's; returns its rate.
     */
    static Result handWritten(Env env, KafkaSide kafka, String dest, Messages m, long n) throws Exception {
        Settings s = env.settings();
        try (OutboxTable table = OutboxTable.create(env, s.lanes());
                PlainRelay loop = new PlainRelay(table, kafka, dest, s.batchSize())) {
            long warm = s.warmMessages();
            table.warm(m, 0, warm);
            loop.start().awaitDone(warm, s.timeoutFor(warm));
            Load load = table.copy(m, warm, n);
            ServerCpu cpu = table.database().serverCpu();
            Usage usage = Usage.start(table.database(), null);
            double cpu0 = cpu.totalMillis();
            long t0 = load.commit();
            long t1 = loop.awaitDone(warm + n, s.timeoutFor(n));
            Usage.PerUnit cost = usage.per(n);
            double serverCpu = (cpu.totalMillis() - cpu0) / n;
            return new Result(n / ((t1 - t0) / 1e9), cost, 0, "", serverCpu);
        }
    }
}
