package dev.outbox;

import java.util.Objects;

/**
 * A stored message on its way to the broker: its envelope and payload. Handed by the relay to {@link
 * dev.outbox.spi.Broker#publish}.
 *
 * @param envelope the wire envelope
 * @param payload the payload bytes; not copied, do not modify
 * @param lane the lane the message belongs to (for the adapter's logs and metrics only)
 */
public record OutgoingMessage(Envelope envelope, byte[] payload, int lane) {
    public OutgoingMessage {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutgoingMessage m
                && envelope.equals(m.envelope)
                && lane == m.lane
                && java.util.Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(envelope, lane, java.util.Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "OutgoingMessage[" + envelope + ", " + payload.length + " bytes, lane " + lane + "]";
    }
}
