/**
 * An in-memory {@link dev.outbox.spi.MessageStore}, with transactions of its own: for fast tests of code that appends,
 * and of the relay, without a database. It keeps the same contract as the PostgreSQL store ({@code
 * MessageStoreContract} in {@code outbox-testkit} checks both).
 */
package dev.outbox.memory;
