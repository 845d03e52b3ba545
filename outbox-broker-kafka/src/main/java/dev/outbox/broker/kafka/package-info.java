/**
 * The Kafka adapter: {@link dev.outbox.broker.kafka.KafkaBroker} publishes the relay's batches with an idempotent
 * {@code acks=all} producer and runs subscribers with per-partition order, bounded concurrency and dead-lettering;
 * {@link dev.outbox.broker.kafka.KafkaBrokerSettings} configures it, {@link dev.outbox.broker.kafka.TopicPolicy}
 * decides about missing topics.
 */
package dev.outbox.broker.kafka;
