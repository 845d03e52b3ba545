/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) started from the {@code kafka_2.13}
 * artifact in a child JVM, for tests, demos and benchmarks: {@link dev.outbox.kafka.embedded.EmbeddedKafka}.
 *
 * <p>It runs in its own process, not in the caller's JVM, so that a test can kill it with SIGKILL and start it again on
 * the same data, as a real broker crash would happen.
 */
package dev.outbox.kafka.embedded;
