package dev.outbox.kafka.embedded;

import dev.outbox.OutboxException;

/**
 * The embedded Kafka could not be started, stopped or cleaned up. When the child process failed, the message ends with
 * the tail of its log.
 */
public final class EmbeddedKafkaException extends OutboxException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, and the tail of the broker's log when there is one */
    public EmbeddedKafkaException(String message) {
        super(message);
    }

    /**
     * @param message what failed, and the tail of the broker's log when there is one
     * @param cause the underlying failure
     */
    public EmbeddedKafkaException(String message, Throwable cause) {
        super(message, cause);
    }
}
