package dev.outbox.spi;

import dev.outbox.InvalidMessageException;
import dev.outbox.Message;

/**
 * Which topics a broker can take, so that the outbox refuses the others at append, at the call that named them, rather
 * than storing a message whose lane stops when the relay publishes it (G6). A {@link Broker} states its own ({@link
 * Broker#topicRules()}); the Guice {@code OutboxModule} gives the bound broker's to the {@link dev.outbox.Outbox}, and
 * code that wires by hand passes them to {@code Outbox.builder().topicRules(broker.topicRules())}.
 *
 * <p>Every topic has passed {@link Message}'s own checks before it reaches {@link #check}: not blank, at most {@value
 * Message#MAX_TOPIC_LENGTH} characters, no control, formatting or separator characters. Implementations are
 * thread-safe and stateless.
 */
@FunctionalInterface
public interface TopicRules {

    /**
     * The broker-neutral default: what {@link Message} already checks, nothing more. What a particular broker cannot
     * take is then found when the relay publishes, and stops the lane.
     */
    TopicRules NEUTRAL = new TopicRules() {
        @Override
        public void check(String topic) {}

        @Override
        public String toString() {
            return "TopicRules.NEUTRAL";
        }
    };

    /**
     * Refuses a topic the broker cannot take.
     *
     * @param topic a topic that passed {@link Message}'s checks
     * @throws InvalidMessageException naming the topic (quoted with {@link Validation#quote}) and the rule it breaks
     */
    void check(String topic);
}
