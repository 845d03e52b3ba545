/**
 * The RabbitMQ {@link dev.outbox.spi.Broker}: {@link dev.outbox.broker.rabbit.RabbitBroker} publishes to a topic
 * exchange with publisher confirms and subscribes durable queues with retries and dead-lettering; {@link
 * dev.outbox.broker.rabbit.RabbitBrokerSettings} says how.
 */
package dev.outbox.broker.rabbit;
