package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.harness.Scenario;
import java.util.List;

/** Every benchmark, in the order a run of all of them takes: add a scenario here, one line. */
public final class Scenarios {
    private Scenarios() {}

    /** The scenarios, in running order; those that run only when named come last. */
    public static List<Scenario<Env>> all() {
        return List.of(
                new RelayThroughput("kafka"),
                new ExactlyOnceThroughput(),
                new TracingOverhead(),
                new RelayThroughput("rabbit"),
                new Latency(),
                new AppendOverhead(),
                new DedupOverhead(),
                new Drain(),
                new HeldHorizon(),
                new Scale(),
                new DebeziumPeer(),
                new Sweep());
    }
}
