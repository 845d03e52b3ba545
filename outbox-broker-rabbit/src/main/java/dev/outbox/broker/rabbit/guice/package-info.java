/** Guice wiring of the RabbitMQ broker: {@link dev.outbox.broker.rabbit.guice.RabbitBrokerModule}. */
package dev.outbox.broker.rabbit.guice;
