/**
 * In-memory implementations of the ports, for fast tests without a database: a {@link dev.outbox.spi.MessageStore} with
 * transactions of its own, for code that appends and for the relay, keeping the same contract as the PostgreSQL store
 * ({@code MessageStoreContract} in {@code outbox-testkit} checks both); and a {@link dev.outbox.spi.PartitionMonitor}
 * that records what the relay tells it.
 */
package dev.outbox.memory;
