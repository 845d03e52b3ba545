/** Guice wiring of the Kafka adapter: {@link dev.outbox.broker.kafka.guice.KafkaBrokerModule}. */
package dev.outbox.broker.kafka.guice;
