/**
 * The benchmarks of the outbox, run by {@code bin/bench}: the relay's throughput to Kafka and RabbitMQ (against the
 * plain clients and a hand-written relay loop), commit-to-ack latency, the cost of appending and of deduplicating, a
 * long drain, a held xmin horizon and a never-analysed table, two relays on one table, and Debezium as a peer. Every
 * figure is a ratio against a baseline measured in the same run, with the absolute figures beside it. These are
 * measurements, not tests: nothing here asserts a timing.
 *
 * <p>Three packages, whose dependencies point one way:
 *
 * <ul>
 *   <li>{@link dev.outbox.benchmarks.scenarios} — one class per benchmark, and {@code Scenarios}, the list of them;
 *   <li>{@link dev.outbox.benchmarks.fixtures} — what scenarios run against: the services of a run ({@code Env}),
 *       outbox tables and backlogs, the broker sides with their plain clients, a relay node, the hand-written relay
 *       loop, Debezium, a session holding the horizon, the server's CPU;
 *   <li>{@link dev.outbox.benchmarks.harness} — the command line, settings, the report and its figures, statistics,
 *       costs and the profiler; it knows no scenario and no fixture.
 * </ul>
 *
 * {@link dev.outbox.benchmarks.Bench}, the main class, puts the three together.
 *
 * <h2>Adding a benchmark</h2>
 *
 * <ol>
 *   <li>Write one class in {@code scenarios} implementing {@code Scenario<Env>}: a {@code name()} (what
 *       {@code --only} takes), a {@code description()} (shown by {@code --help}), and {@code run(env, rep)}, which
 *       runs one repetition and adds its figures with {@code env.report().figure(bench, metric, unit, baseline,
 *       target).add(outbox, baseline)}; repetitions of the same figure make its median and spread.
 *   <li>Add one line to {@code Scenarios.all()}, where it should run.
 * </ol>
 *
 * Take what it needs from the fixtures ({@code OutboxTable.create(env, lanes)}, {@code env.kafka()}, {@code new
 * RelayNode(...)}) and close what it opens. A benchmark that should run only when asked for overrides
 * {@code onlyWhenNamed()}. A new command-line setting goes into {@code Command} and {@code Settings}.
 */
package dev.outbox.benchmarks;
