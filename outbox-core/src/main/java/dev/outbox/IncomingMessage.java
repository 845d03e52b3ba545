package dev.outbox;

import java.util.Objects;

/**
 * A message delivered to a consumer's {@link MessageHandler}: the envelope written by the relay and the payload bytes.
 *
 * @param envelope the envelope: {@code envelope().messageId()} and {@code envelope().source()} identify the message
 * @param payload the payload bytes; not copied, do not modify
 * @param deliveryAttempt 1 for the first time this subscriber hands the message to a handler, more for its own retries
 *     (redeliveries by the broker after a crash start again at 1: deduplicate on the message id, not on this)
 */
public record IncomingMessage(Envelope envelope, byte[] payload, int deliveryAttempt) {
    public IncomingMessage {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(payload, "payload");
        if (deliveryAttempt < 1) {
            throw new IllegalArgumentException("deliveryAttempt must be at least 1, was " + deliveryAttempt);
        }
    }

    /** Shortcut for {@code envelope().messageId()}. */
    public MessageId messageId() {
        return envelope.messageId();
    }

    /** Shortcut for {@code envelope().source()}. */
    public String source() {
        return envelope.source();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IncomingMessage m
                && envelope.equals(m.envelope)
                && deliveryAttempt == m.deliveryAttempt
                && java.util.Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(envelope, deliveryAttempt, java.util.Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "IncomingMessage[" + envelope + ", " + payload.length + " bytes, attempt " + deliveryAttempt + "]";
    }
}
