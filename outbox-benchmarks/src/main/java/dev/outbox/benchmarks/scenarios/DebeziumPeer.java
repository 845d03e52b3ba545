package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Database;
import dev.outbox.benchmarks.fixtures.DebeziumRelay;
import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.HorizonHolder;
import dev.outbox.benchmarks.fixtures.KafkaSide;
import dev.outbox.benchmarks.fixtures.Load;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.ServerCpu;
import dev.outbox.benchmarks.harness.Figure;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import dev.outbox.benchmarks.harness.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;

/**
 * debezium: the relay against Debezium, the change-data-capture relay users pick when polling hurts. Both move the
 * same backlog ({@code --backlog} messages committed at once) from the same PostgreSQL, an embedded one started with
 * {@code wal_level=logical}, to the same Kafka: the relay from its message table, Debezium's embedded engine from its
 * own outbox table through {@code pgoutput} and its event router ({@link DebeziumRelay}). Three situations, each a
 * figure (target ≥ 1.0): an analysed table, a table PostgreSQL never analysed, and an analysed table while another
 * session holds the xmin horizon (for Debezium too).
 *
 * <p>Beside the rates: the server's CPU per message, from {@code /proc}, counted from the start of the load to the
 * last acknowledgement less the loading backend's own: the relay's reads and deletes, or Debezium's WAL sender
 * decoding the load, with what the server does besides (WAL writer, autovacuum) for both. Debezium runs only while it
 * is measured, so that its WAL sender does not decode the relay's work.
 */
final class DebeziumPeer implements Scenario<Env> {

    /** The situations compared. */
    private enum Situation {
        ANALYSED("analysed table"),
        COLD("never-analysed table"),
        HELD("horizon held");

        final String text;

        Situation(String text) {
            this.text = text;
        }
    }

    @Override
    public String name() {
        return "debezium";
    }

    @Override
    public String description() {
        return "relay vs Debezium's embedded engine (pgoutput, outbox event router) to Kafka, on an analysed table,"
                + " a never-analysed one and with the horizon held; PostgreSQL CPU per message";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        Database db = env.logicalPostgres();
        KafkaSide kafka = env.kafka();
        long n = s.backlog();
        try (DebeziumRelay debezium = DebeziumRelay.create(db, kafka, env.runId() + "_" + rep)) {
            long[] debeziumNext = {0};
            if (rep == 0 && !s.quick()) {
                // Whichever went first would otherwise also pay for the JIT, the pools and the server's caches.
                Result relay = relay(env, db, kafka, Situation.ANALYSED);
                Result peer = debezium(env, debezium, kafka, Situation.ANALYSED, debeziumNext);
                Log.info("debezium untimed warm-up pass: relay %.0f msg/s, Debezium %.0f msg/s", relay.rate, peer.rate);
            }
            for (Situation situation : Situation.values()) {
                // Alternate which goes first, so neither always meets a broker fuller than the other.
                List<Boolean> relayFirst = new ArrayList<>(List.of(true, false));
                Collections.rotate(relayFirst, rep % 2);
                Result relay = null;
                Result peer = null;
                for (boolean relayTurn : relayFirst) {
                    if (relayTurn) {
                        relay = relay(env, db, kafka, situation);
                    } else {
                        peer = debezium(env, debezium, kafka, situation, debeziumNext);
                    }
                }
                env.report()
                        .figure(
                                name(),
                                situation.text + ": relay vs Debezium, backlog " + n,
                                "msg/s",
                                "Debezium",
                                Target.ratioAtLeast(1.0))
                        .add(relay.rate, peer.rate)
                        .extra(Figure.CPU, relay.cost.cpuMs())
                        .extra(Figure.BASELINE_CPU, peer.cost.cpuMs())
                        .extra(Figure.PG_CPU, relay.serverCpuMs)
                        .extra(Figure.BASELINE_PG_CPU, peer.serverCpuMs)
                        .extra(Figure.WAL, relay.cost.walBytes());
                Log.info(
                        "debezium rep %d, %s: relay %.0f msg/s (PostgreSQL %.3f CPU ms/msg), Debezium %.0f msg/s"
                                + " (%.3f CPU ms/msg), ratio %.2f",
                        rep + 1,
                        situation.text,
                        relay.rate,
                        relay.serverCpuMs,
                        peer.rate,
                        peer.serverCpuMs,
                        relay.rate / peer.rate);
            }
            if (debezium.duplicates() > 0) {
                env.report()
                        .note(
                                name(),
                                "rep " + (rep + 1) + ": Debezium sent " + debezium.duplicates()
                                        + " events twice (after a restart)");
            }
        }
    }

    /**
     * A rate, this JVM's cost, and the server's CPU per message.
     *
     * @param rate messages a second from the commit to the last acknowledgement
     * @param cost this JVM's CPU and the server's WAL per message
     * @param serverCpuMs the server's CPU per message (see the class comment)
     */
    record Result(double rate, Usage.PerUnit cost, double serverCpuMs) {}

    private static Result relay(Env env, Database db, KafkaSide kafka, Situation situation) throws Exception {
        Settings s = env.settings();
        long n = s.backlog();
        String dest = kafka.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        Progress progress = new Progress();
        try (OutboxTable table = OutboxTable.create(env, db, s.lanes());
                RelayNode node = new RelayNode(
                        table, kafka.broker(dest), new BitSet(), progress, s.batchSize(), s.concurrency())) {
            long warm = s.warmMessages();
            if (situation == Situation.COLD) {
                table.neverAnalyse();
                table.load(m, 0, warm);
            } else {
                table.load(m, 0, warm);
                table.vacuum();
            }
            node.start().awaitLanes(s.lanes(), Duration.ofSeconds(30));
            progress.awaitDone(warm, s.timeoutFor(warm));
            ServerCpu cpu = db.serverCpu();
            double cpu0 = cpu.totalMillis();
            Load load = table.copy(m, warm, n);
            if (situation != Situation.COLD) {
                load.analyse();
            }
            double loader = cpu.processMillis(load.backendPid());
            try (HorizonHolder holder = situation == Situation.HELD ? HorizonHolder.hold(db) : null) {
                if (holder != null) {
                    Log.info("  horizon held by transaction %d", holder.xid());
                }
                Usage usage = Usage.start(db, node.statements());
                long t0 = load.commit();
                long t1 = progress.awaitDone(warm + n, s.timeoutFor(n));
                Usage.PerUnit cost = usage.per(n);
                double serverCpu = (cpu.totalMillis() - cpu0 - loader) / n;
                Log.info("  relay, %s: message table %s after the drain", situation.text, table.settledStats());
                return new Result(n / ((t1 - t0) / 1e9), cost, serverCpu);
            }
        } finally {
            kafka.dropDestination(dest);
        }
    }

    private static Result debezium(Env env, DebeziumRelay debezium, KafkaSide kafka, Situation situation, long[] next)
            throws Exception {
        Settings s = env.settings();
        long n = s.backlog();
        String dest = kafka.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        Database db = debezium.database();
        try {
            debezium.start(dest, Duration.ofMinutes(2));
            long warm = s.warmMessages();
            long base = debezium.acked();
            debezium.copy(m, next[0], warm).commit();
            next[0] += warm;
            debezium.awaitAcked(base + warm, s.timeoutFor(warm));
            ServerCpu cpu = db.serverCpu();
            double cpu0 = cpu.totalMillis();
            Load load = debezium.copy(m, next[0], n);
            next[0] += n;
            double loader = cpu.processMillis(load.backendPid());
            try (HorizonHolder holder = situation == Situation.HELD ? HorizonHolder.hold(db) : null) {
                if (holder != null) {
                    Log.info("  horizon held by transaction %d", holder.xid());
                }
                Usage usage = Usage.start(db, null);
                long t0 = load.commit();
                long t1 = debezium.awaitAcked(base + warm + n, s.timeoutFor(n));
                Usage.PerUnit cost = usage.per(n);
                double serverCpu = (cpu.totalMillis() - cpu0 - loader) / n;
                return new Result(n / ((t1 - t0) / 1e9), cost, serverCpu);
            }
        } finally {
            debezium.stop();
            kafka.dropDestination(dest);
        }
    }
}
