package dev.outbox;

/**
 * The root of every exception this library throws on purpose.
 *
 * <p>It is unchecked and has a few well-known branches:
 *
 * <ul>
 *   <li>{@link InvalidMessageException}: the caller handed over bad input; nothing was written.
 *   <li>{@link TransactionRequiredException}: an append was attempted outside a transaction.
 *   <li>{@link TransactionAbortedException}: the transaction was aborted by a failed statement and can only roll back.
 *   <li>{@link RetriableException}: a publish failed for a reason that may go away (a timeout, a broker
 *       restarting); the relay retries it with backoff.
 *   <li>{@link FatalException}: a publish failed for a reason that will not go away by retrying (too large,
 *       unroutable, not authorised); the relay stops the message's lane.
 *   <li>{@link StoreException}: the message store failed (a database error).
 *   <li>{@link InvalidConfigurationException}: a builder or module was given a bad setting.
 * </ul>
 */
public abstract class OutboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected OutboxException(String message) {
        super(message);
    }

    protected OutboxException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether retrying the same operation later may succeed. The relay retries a message whose publish failed with a
     * retriable exception, and stops its lane otherwise.
     *
     * @return {@code true} for {@link RetriableException}, {@link StoreException} and {@link
     *     TransactionAbortedException}
     */
    public boolean isRetriable() {
        return false;
    }
}
