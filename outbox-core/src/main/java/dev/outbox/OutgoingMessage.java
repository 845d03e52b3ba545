package dev.outbox;

import java.util.Objects;

/**
 * A stored message on its way to the broker: its envelope and payload. Handed by the relay to {@link
 * dev.outbox.spi.Broker#publish}.
 *
 * @param envelope the wire envelope
 * @param payload the payload bytes; not copied, do not modify
 * @param lane the lane the message belongs to (for the adapter's logs, metrics and traces only)
 * @param attempt which attempt to publish the message this is, from 1 (for logs, metrics and traces only)
 */
public record OutgoingMessage(Envelope envelope, byte[] payload, int lane, int attempt) {
    public OutgoingMessage {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(payload, "payload");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
        }
    }

    /** A message on its first attempt. */
    public OutgoingMessage(Envelope envelope, byte[] payload, int lane) {
        this(envelope, payload, lane, 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutgoingMessage m
                && envelope.equals(m.envelope)
                && lane == m.lane
                && attempt == m.attempt
                && java.util.Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(envelope, lane, attempt, java.util.Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "OutgoingMessage[" + envelope + ", " + payload.length + " bytes, lane " + lane + "]";
    }
}
