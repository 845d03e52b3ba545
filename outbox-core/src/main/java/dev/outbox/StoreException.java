package dev.outbox;

/**
 * The message store failed: the database refused a statement, a connection broke. Thrown to the application from an
 * append (its transaction should be rolled back); inside the relay a store failure ends the round, which is tried
 * again after a backoff.
 */
public final class StoreException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isRetriable() {
        return true;
    }
}
