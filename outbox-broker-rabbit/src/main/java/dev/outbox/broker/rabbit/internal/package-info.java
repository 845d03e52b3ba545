/**
 * The RabbitMQ broker's machinery: connections opened again after a loss, the confirm-tracking publisher, the
 * subscriber with its lanes and dead letters, and the envelope's AMQP form. Not an API: it may change in any release.
 */
package dev.outbox.broker.rabbit.internal;
