package dev.outbox.consumer.dedup;

import dev.outbox.IncomingMessage;
import org.jdbi.v3.core.Handle;

/**
 * The consumer's code for one message, run by a {@link Deduplicator} inside the transaction that records the message as
 * processed. Write the message's effects through {@code handle}: they commit together with the record, so they happen
 * once per message id, whatever the broker redelivers.
 *
 * <p>Effects outside the database (an e-mail, an HTTP call) are not covered: they happen at least once.
 *
 * <p>A statement that fails aborts the whole transaction in PostgreSQL. A handler that catches such a failure and
 * returns normally has not processed the message: the deduplicator notices, rolls back and lets the subscriber retry
 * (and finally dead-letter) the message with a {@link dev.outbox.TransactionAbortedException}. To go on after a
 * statement that may fail, run it inside a savepoint ({@code handle.savepoint(...)}, {@code
 * handle.rollbackToSavepoint(...)}).
 */
@FunctionalInterface
public interface TransactionalHandler {
    /**
     * Processes one message that this consumer has not processed before.
     *
     * @param handle the open transaction's handle; use it, and do not commit, roll back or close it
     * @param message the message
     * @throws RuntimeException to roll back the transaction (the record and every write made through {@code handle})
     *     and have the subscriber retry the message; a {@link dev.outbox.FatalException} skips the retries and
     *     dead-letters it at once
     */
    void handle(Handle handle, IncomingMessage message);
}
