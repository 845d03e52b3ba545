package dev.outbox;

/**
 * An append was attempted on a connection that is not inside a transaction (auto-commit on) or is closed. Appending
 * there would store the message whatever happens to the caller's business writes, which breaks the outbox's first
 * guarantee, so it is refused.
 */
public final class TransactionRequiredException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public TransactionRequiredException(String message) {
        super(message);
    }
}
