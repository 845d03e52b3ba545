package dev.outbox;

/**
 * The id the store gave a message when it was appended. It travels with the message as the {@code message_id} header;
 * together with the producing service's {@code source} it names the message uniquely, which is what consumers
 * deduplicate on. Ids are never compared by size to decide anything.
 *
 * @param value the id, positive
 */
public record MessageId(long value) {
    public MessageId {
        if (value <= 0) {
            throw new IllegalArgumentException("message id must be positive, was " + value);
        }
    }

    /** Parses the decimal form carried in the {@code message_id} header. */
    public static MessageId parse(String text) {
        try {
            return new MessageId(Long.parseLong(text));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("message id must be a positive decimal number, was '" + text + "'", e);
        }
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
