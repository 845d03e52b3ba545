/**
 * The benchmarks of the outbox, run by {@code bin/bench}: the relay's throughput to Kafka and RabbitMQ, commit-to-ack
 * latency, the cost of appending and of deduplicating, a long drain and two relays on one table. Every figure is a
 * ratio against a raw client or a plain transaction measured in the same run, with the absolute figures beside it.
 * These are measurements, not tests: nothing here asserts a timing.
 */
package dev.outbox.benchmarks;
