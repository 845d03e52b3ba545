package dev.outbox;

/**
 * The consumer's code for one message. A subscriber acknowledges the message after {@code handle} returns, and
 * retries it (then dead-letters it) when {@code handle} throws. Delivery is at least once: wrap the handler with the
 * dedup module to make its effect happen once.
 */
@FunctionalInterface
public interface MessageHandler {
    /**
     * Processes one message.
     *
     * @throws RuntimeException to have the message retried; a {@link FatalException} skips the retries and
     *     dead-letters it at once
     */
    void handle(IncomingMessage message);
}
