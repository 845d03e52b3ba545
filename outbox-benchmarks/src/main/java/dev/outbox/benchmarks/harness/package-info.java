/**
 * The harness of the benchmarks: the command line ({@link dev.outbox.benchmarks.harness.Command}), how a run is
 * sized ({@link dev.outbox.benchmarks.harness.Settings}), the report and its figures, targets and statistics, the
 * cost of a phase, the JFR profiler and the log. It runs any list of
 * {@link dev.outbox.benchmarks.harness.Scenario}s on any environment, and depends on no fixture and no scenario.
 */
package dev.outbox.benchmarks.harness;
