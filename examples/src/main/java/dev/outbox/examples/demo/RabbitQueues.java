package dev.outbox.examples.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.List;

/**
 * Removes what the demo's subscriptions declared on a shared RabbitMQ: for each, its queue and its dead-letter exchange
 * and queue ({@code <prefix>.<name>}, {@code <prefix>.<name>.dlq}), so repeated runs leave nothing behind.
 */
final class RabbitQueues {
    private RabbitQueues() {}

    static void delete(String amqpUri, String prefix, List<String> subscriptions) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(amqpUri);
        factory.setConnectionTimeout(5000);
        try (Connection connection = factory.newConnection("outbox-demo-cleanup");
                Channel channel = connection.createChannel()) {
            for (String name : subscriptions) {
                String queue = prefix + "." + name;
                channel.queueDelete(queue);
                channel.queueDelete(queue + ".dlq");
                channel.exchangeDelete(queue + ".dlq");
            }
        }
    }
}
