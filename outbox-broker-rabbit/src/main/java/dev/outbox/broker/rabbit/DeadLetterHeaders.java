package dev.outbox.broker.rabbit;

/**
 * Headers a {@link RabbitBroker} subscription adds to a message it dead-letters, beside all of the message's own
 * properties and headers (the envelope included), so that an operator can see why it failed and put it back where it
 * came from.
 */
public final class DeadLetterHeaders {
    /** The handler's (or the envelope check's) error message, at most 4000 characters. */
    public static final String ERROR = "x-outbox-error";

    /** The class name of that error. */
    public static final String ERROR_CLASS = "x-outbox-error-class";

    /** How many times the handler was tried (an integer; 0 for a message without a valid envelope). */
    public static final String ATTEMPTS = "x-outbox-attempts";

    /** The name of the subscription that gave up on the message. */
    public static final String SUBSCRIPTION = "x-outbox-subscription";

    /** The exchange the message was originally published to. */
    public static final String ORIGINAL_EXCHANGE = "x-outbox-original-exchange";

    /** The routing key (topic) the message was originally published with. */
    public static final String ORIGINAL_ROUTING_KEY = "x-outbox-original-routing-key";

    /** When it was dead-lettered (ISO-8601 instant). */
    public static final String FAILED_AT = "x-outbox-failed-at";

    private DeadLetterHeaders() {}
}
