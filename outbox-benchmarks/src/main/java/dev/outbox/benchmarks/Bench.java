package dev.outbox.benchmarks;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.harness.Command;
import dev.outbox.benchmarks.scenarios.Scenarios;

/** The main class {@code bin/bench} runs: the command, with every scenario, on the run's services. */
public final class Bench {
    private Bench() {}

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(Command.execute(args, Scenarios.all(), Env::open));
    }
}
