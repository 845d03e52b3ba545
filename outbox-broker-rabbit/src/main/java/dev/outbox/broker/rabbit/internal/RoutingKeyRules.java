package dev.outbox.broker.rabbit.internal;

import dev.outbox.InvalidMessageException;
import dev.outbox.spi.TopicRules;
import dev.outbox.spi.Validation;

/**
 * The topics RabbitMQ takes as routing keys: at most 255 bytes in UTF-8 (an AMQP short string), no control
 * characters. A longer key cannot be sent at all.
 */
public final class RoutingKeyRules implements TopicRules {
    /** The one instance. */
    public static final RoutingKeyRules INSTANCE = new RoutingKeyRules();

    /** The longest AMQP routing key, in bytes of UTF-8. */
    public static final int MAX_BYTES = 255;

    private RoutingKeyRules() {}

    @Override
    public void check(String topic) {
        int bytes = Validation.utf8Length(topic);
        if (bytes > MAX_BYTES) {
            throw new InvalidMessageException("topic must be at most " + MAX_BYTES + " bytes in UTF-8 as a RabbitMQ"
                    + " routing key, was " + bytes + ": " + Validation.quote(topic));
        }
        for (int i = 0; i < topic.length(); i++) {
            if (Character.isISOControl(topic.charAt(i))) {
                throw new InvalidMessageException(
                        "topic must not contain control characters: " + Validation.quote(topic));
            }
        }
    }

    @Override
    public String toString() {
        return "RabbitMQ routing key rules (at most " + MAX_BYTES + " bytes in UTF-8, no control characters)";
    }
}
