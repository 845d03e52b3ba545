package dev.outbox.broker.kafka.internal;

import dev.outbox.InvalidMessageException;
import dev.outbox.spi.TopicRules;
import dev.outbox.spi.Validation;
import java.util.regex.Pattern;

/**
 * The topic names Kafka accepts: ASCII letters, digits, {@code .}, {@code _} and {@code -}, at most 249 characters,
 * neither {@code .} nor {@code ..}. Kafka refuses any other name when the topic is created or written to.
 */
public final class KafkaTopicRules implements TopicRules {
    /** The one instance. */
    public static final KafkaTopicRules INSTANCE = new KafkaTopicRules();

    /** Kafka's longest topic name. */
    public static final int MAX_LENGTH = 249;

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

    private KafkaTopicRules() {}

    @Override
    public void check(String topic) {
        if (topic.length() > MAX_LENGTH) {
            throw new InvalidMessageException("topic must be at most " + MAX_LENGTH + " characters for Kafka, was "
                    + topic.length() + ": " + Validation.quote(topic));
        }
        if (!LEGAL.matcher(topic).matches()) {
            throw new InvalidMessageException("topic " + Validation.quote(topic) + " is not a legal Kafka topic name:"
                    + " only ASCII letters, digits, '.', '_' and '-' are allowed");
        }
        if (topic.equals(".") || topic.equals("..")) {
            throw new InvalidMessageException("topic " + Validation.quote(topic) + " is not a legal Kafka topic name");
        }
    }

    @Override
    public String toString() {
        return "Kafka topic rules ([a-zA-Z0-9._-], at most " + MAX_LENGTH + " characters)";
    }
}
