package dev.outbox.broker.rabbit.internal;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The exchanges, queues and bindings this adapter relies on. Every declaration is idempotent, so it is repeated on each
 * new channel: after a broker restart or a deleted queue, the next channel puts things back.
 */
final class Topology {
    /** The queue argument that makes RabbitMQ itself dead-letter what a subscriber rejects. */
    static final String DEAD_LETTER_EXCHANGE_ARGUMENT = "x-dead-letter-exchange";

    private Topology() {}

    /** Declares the durable topic exchange, or only checks it exists, as the settings say. */
    static void exchange(Channel channel, RabbitBrokerSettings settings) throws IOException {
        if (settings.exchangeDeclaration() == RabbitBrokerSettings.ExchangeDeclaration.DECLARE) {
            channel.exchangeDeclare(settings.exchange(), BuiltinExchangeType.TOPIC, true);
        } else {
            channel.exchangeDeclarePassive(settings.exchange());
        }
    }

    /** {@code name} under the settings' prefix. */
    static String prefixed(RabbitBrokerSettings settings, String name) {
        return settings.queuePrefix().isEmpty() ? name : settings.queuePrefix() + "." + name;
    }

    /**
     * A subscription's topology: its durable queue bound to the exchange with each pattern, and a durable fanout
     * dead-letter exchange with a durable queue of the same name. The queue names that exchange as its own dead-letter
     * exchange, so a message the subscriber rejects lands there too. Bindings are only ever added: a pattern dropped
     * from a subscription stays bound until removed by hand.
     */
    static void subscription(
            Channel channel, RabbitBrokerSettings settings, String queue, List<String> patterns, String deadLetter)
            throws IOException {
        exchange(channel, settings);
        channel.exchangeDeclare(deadLetter, BuiltinExchangeType.FANOUT, true);
        channel.queueDeclare(deadLetter, true, false, false, null);
        channel.queueBind(deadLetter, deadLetter, "");
        channel.queueDeclare(queue, true, false, false, Map.of(DEAD_LETTER_EXCHANGE_ARGUMENT, deadLetter));
        for (String pattern : patterns) {
            channel.queueBind(queue, settings.exchange(), pattern);
        }
    }
}
