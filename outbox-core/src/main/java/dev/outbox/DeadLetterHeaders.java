package dev.outbox;

import java.util.List;

/**
 * The headers a subscriber adds to a message it dead-letters, the same on every broker, so that a tool that inspects
 * or replays dead letters works whichever broker carried them. A dead letter keeps every header of the original
 * message (its envelope included) and gains these; every value is a string (Kafka record headers in UTF-8, AMQP
 * header values of type string).
 */
public final class DeadLetterHeaders {
    /** What every dead-letter header's name starts with. */
    public static final String PREFIX = "outbox.dead_letter.";

    /** The error of the last attempt: its message, at most 4000 characters (the envelope check's, for a message
     * without a valid envelope). */
    public static final String ERROR = PREFIX + "error";

    /** The class name of that error. */
    public static final String ERROR_CLASS = PREFIX + "error_class";

    /** How many times the handler was tried, in decimal; {@code 0} for a message without a valid envelope. */
    public static final String ATTEMPTS = PREFIX + "attempts";

    /** The name of the subscription that gave up on the message. */
    public static final String SUBSCRIPTION = PREFIX + "subscription";

    /** The topic the message was read from: the Kafka topic, or the RabbitMQ routing key. */
    public static final String TOPIC = PREFIX + "topic";

    /** When the message was dead-lettered, as an ISO-8601 instant. */
    public static final String FAILED_AT = PREFIX + "failed_at";

    /** Kafka only: the partition the record was read from, in decimal. */
    public static final String PARTITION = PREFIX + "partition";

    /** Kafka only: the record's offset in that partition, in decimal. */
    public static final String OFFSET = PREFIX + "offset";

    /** RabbitMQ only: the exchange the message was published to. */
    public static final String EXCHANGE = PREFIX + "exchange";

    /** Every header above. */
    public static final List<String> ALL =
            List.of(ERROR, ERROR_CLASS, ATTEMPTS, SUBSCRIPTION, TOPIC, FAILED_AT, PARTITION, OFFSET, EXCHANGE);

    /** The longest {@link #ERROR} value, in characters. */
    public static final int MAX_ERROR_LENGTH = 4000;

    private DeadLetterHeaders() {}

    /**
     * {@code error}'s message cut to {@link #MAX_ERROR_LENGTH}, or its class name when it has no message, on one line:
     * line breaks and other control characters (which a header value may not hold, see {@link Message}) written as
     * {@code \}{@code uXXXX}, so that the dead letter's envelope stays valid for whoever consumes the dead letters.
     */
    public static String error(Throwable error) {
        String message = error.getMessage() == null ? error.getClass().getName() : error.getMessage();
        StringBuilder out = new StringBuilder(Math.min(message.length(), MAX_ERROR_LENGTH));
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                            && i + 1 < message.length()
                            && Character.isLowSurrogate(message.charAt(i + 1))
                    || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(message.charAt(i - 1));
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c) && !paired) {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        String line = out.toString();
        return line.length() <= MAX_ERROR_LENGTH ? line : line.substring(0, MAX_ERROR_LENGTH - 3) + "...";
    }
}
