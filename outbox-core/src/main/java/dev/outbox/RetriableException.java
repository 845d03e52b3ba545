package dev.outbox;

/**
 * A failure that may go away if the same operation is tried again later: a broker timeout, a connection lost, a
 * negative publisher confirm, not enough in-sync replicas. The relay retries the message with exponential backoff,
 * and stops its lane only after {@code maxAttempts}.
 */
public class RetriableException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public RetriableException(String message) {
        super(message);
    }

    public RetriableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isRetriable() {
        return true;
    }
}
