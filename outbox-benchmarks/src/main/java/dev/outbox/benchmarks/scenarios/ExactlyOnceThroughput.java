package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.KafkaSide;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.harness.Figure;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import dev.outbox.benchmarks.scenarios.RelayThroughput.Result;

/**
 * relay-kafka-eos: the relay's throughput to Kafka in the exactly-once mode (a Kafka transaction per batch, one batch
 * in flight per worker, the positions written in each transaction) against the at-least-once relay draining the same
 * backlog in the same run, each from a table of its own.
 */
final class ExactlyOnceThroughput implements Scenario<Env> {

    @Override
    public String name() {
        return "relay-kafka-eos";
    }

    @Override
    public String description() {
        return "relay throughput to kafka in the exactly-once mode vs the at-least-once relay";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        KafkaSide kafka = (KafkaSide) env.side("kafka");
        long n = s.backlog();
        Figure f = env.report()
                .figure(name(), "throughput, backlog " + n, "msg/s", "at-least-once relay", Target.ratioAtLeast(0.8));
        if (rep == 0 && !s.quick()) {
            // Untimed, as relay-kafka does: the first timed pass otherwise meets a cold JVM and cold connections.
            warmUp(env, kafka, n);
        }
        String dest = kafka.createDestination();
        String positions = dest + "-positions";
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        try {
            Result eos = null;
            Result plain = null;
            // Alternate which goes first, so neither always meets a broker fuller than the other.
            for (int i = 0; i < 2; i++) {
                boolean eosTurn = (i + rep) % 2 == 0;
                try (OutboxTable table = OutboxTable.create(env, s.lanes())) {
                    if (eosTurn) {
                        eos = RelayThroughput.relayOn(
                                env, kafka.exactlyOnceBroker(dest, positions), table, m, n, s.batchSize());
                    } else {
                        plain = RelayThroughput.relay(env, kafka, dest, table, m, n, s.batchSize());
                    }
                }
            }
            f.add(eos.rate(), plain.rate())
                    .extra(Figure.CPU, eos.cost().cpuMs())
                    .extra(Figure.BASELINE_CPU, plain.cost().cpuMs())
                    .extra(Figure.STATEMENTS, eos.cost().statements())
                    .extra(Figure.WAL, eos.cost().walBytes());
            if (eos.duplicates() > 0) {
                f.note("duplicates seen: " + eos.duplicates());
            }
            env.report().note(name() + " rounds", eos.rounds());
            Log.info(
                    "%s rep %d: exactly-once %.0f msg/s, at-least-once %.0f msg/s, ratio %.2f; cpu %.3f vs %.3f ms/msg;"
                            + " %d duplicates; %d transactional producers at most (concurrency)",
                    name(),
                    rep + 1,
                    eos.rate(),
                    plain.rate(),
                    eos.rate() / plain.rate(),
                    eos.cost().cpuMs(),
                    plain.cost().cpuMs(),
                    eos.duplicates(),
                    s.concurrency());
        } finally {
            kafka.dropDestination(dest);
            kafka.dropDestination(positions);
            kafka.dropDestination(positions + "-claims");
        }
    }

    private static void warmUp(Env env, KafkaSide kafka, long n) throws Exception {
        Settings s = env.settings();
        String dest = kafka.createDestination();
        String positions = dest + "-positions";
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        try (OutboxTable eosTable = OutboxTable.create(env, s.lanes());
                OutboxTable plainTable = OutboxTable.create(env, s.lanes())) {
            Result eos = RelayThroughput.relayOn(
                    env, kafka.exactlyOnceBroker(dest, positions), eosTable, m, n, s.batchSize());
            Result plain = RelayThroughput.relay(env, kafka, dest, plainTable, m, n, s.batchSize());
            Log.info(
                    "relay-kafka-eos untimed warm-up pass: exactly-once %.0f msg/s, at-least-once %.0f msg/s",
                    eos.rate(), plain.rate());
        } finally {
            kafka.dropDestination(dest);
            kafka.dropDestination(positions);
            kafka.dropDestination(positions + "-claims");
        }
    }
}
