package dev.outbox;

/**
 * The transaction an operation was to run in has been aborted by the database: an earlier statement in it failed, and
 * PostgreSQL now refuses every statement and turns a commit into a rollback, without an error. Thrown
 *
 * <ul>
 *   <li>by an append on such a transaction: roll it back and run the unit of work again;
 *   <li>by a deduplicating consumer whose handler let a failed statement pass without an exception: nothing of the
 *       message (neither its record nor the handler's writes) could be committed, so the message is not acknowledged
 *       but retried, and dead-lettered after the last attempt.
 * </ul>
 */
public final class TransactionAbortedException extends OutboxException {
    private static final long serialVersionUID = 1L;

    /** @param message what was aborted and what to do about it */
    public TransactionAbortedException(String message) {
        super(message);
    }

    /**
     * Another attempt, in a new transaction, may succeed.
     *
     * @return {@code true}
     */
    @Override
    public boolean isRetriable() {
        return true;
    }
}
