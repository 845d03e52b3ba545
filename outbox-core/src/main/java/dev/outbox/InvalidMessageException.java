package dev.outbox;

/**
 * Bad input handed to the outbox: a null or blank topic, a missing payload, an oversized payload, a malformed header,
 * an object the serializer cannot write. Thrown at the call that received the input; nothing was written.
 */
public final class InvalidMessageException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public InvalidMessageException(String message) {
        super(message);
    }

    public InvalidMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
