/**
 * The ports adapters implement: {@link dev.outbox.spi.MessageStore}, {@link dev.outbox.spi.Broker}, {@link
 * dev.outbox.spi.MessageSerializer} and {@link dev.outbox.spi.PartitionMonitor}, with the values they exchange.
 */
package dev.outbox.spi;
