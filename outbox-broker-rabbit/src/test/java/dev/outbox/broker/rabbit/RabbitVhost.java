package dev.outbox.broker.rabbit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.Backoff;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A virtual host of the local RabbitMQ (127.0.0.1:5672, guest) created for one test class and deleted after it,
 * whether its tests pass or fail, so that every exchange and queue a test makes goes with it. Register it as a static
 * field with {@code @RegisterExtension}.
 */
final class RabbitVhost implements BeforeAllCallback, AfterAllCallback {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5672;

    private final AtomicInteger names = new AtomicInteger();
    private String name;

    @Override
    public void beforeAll(ExtensionContext context) {
        name = "outbox-it-" + context.getRequiredTestClass().getSimpleName() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        Rabbitmqctl.addVhost(name);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (name != null) {
            Rabbitmqctl.deleteVhost(name);
        }
    }

    /** The virtual host's name. */
    String name() {
        return name;
    }

    /** A name not used before in this virtual host, for an exchange, a subscription or a prefix. */
    String unique(String stem) {
        return stem + "-" + names.incrementAndGet();
    }

    /**
     * Settings for this virtual host with a fresh exchange, and bounds short enough for tests: reconnect every 200 ms,
     * publish timeout 10 s.
     */
    RabbitBrokerSettings.Builder settings() {
        return RabbitBrokerSettings.builder()
                .uri("amqp://guest:guest@" + HOST + ":" + PORT + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8))
                .exchange(unique("exchange"))
                .reconnectBackoff(Backoff.fixed(Duration.ofMillis(200)))
                .publishTimeout(Duration.ofSeconds(10))
                .closeTimeout(Duration.ofSeconds(5))
                .connectionName("outbox-it");
    }

    /** A plain client connection to this virtual host, for looking at queues behind the broker's back. */
    Connection adminConnection() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(PORT);
        f.setVirtualHost(name);
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection("outbox-it-admin");
    }

    /** How many messages are ready in {@code queue}. */
    long ready(String queue) throws Exception {
        try (Connection c = adminConnection();
                Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        }
    }
}
