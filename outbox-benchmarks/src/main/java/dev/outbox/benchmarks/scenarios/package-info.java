/**
 * The benchmarks, one class each, and {@link dev.outbox.benchmarks.scenarios.Scenarios}, the list the command runs.
 * Each scenario runs one repetition at a time on the fixtures and adds its figures to the report.
 */
package dev.outbox.benchmarks.scenarios;
