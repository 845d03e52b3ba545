package dev.outbox.broker.rabbit;

import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.LongString;
import dev.outbox.Envelope;
import dev.outbox.OutgoingMessage;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import dev.outbox.testkit.BrokerContract;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The published broker contract, passed by {@link RabbitBroker} against the real local RabbitMQ. */
class RabbitBrokerContractIT extends BrokerContract {
    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private static RabbitBrokerSettings settings;
    private static RabbitBroker broker;

    @BeforeAll
    static void connect() {
        settings = rabbit.settings().build();
        broker = RabbitBroker.create(settings);
        broker.connect();
    }

    @AfterAll
    static void close() {
        if (broker != null) {
            broker.close();
        }
    }

    @Override
    protected Broker broker() {
        return broker;
    }

    /** No queue is bound for this routing key, so RabbitMQ returns the message: unroutable. */
    @Override
    protected OutgoingMessage fatallyRefused(OutgoingMessage valid) {
        Envelope e = valid.envelope();
        Envelope unroutable = new Envelope(
                e.messageId(),
                e.source(),
                e.topic() + ".nobody-listens",
                e.key(),
                e.type(),
                e.contentType(),
                e.createdAt(),
                e.headers());
        return new OutgoingMessage(unroutable, valid.payload(), valid.lane());
    }

    @Override
    protected Broker unreachableBroker() {
        return RabbitBroker.create(settings.toBuilder()
                .port(1)
                .connectionTimeout(Duration.ofSeconds(2))
                .publishTimeout(Duration.ofSeconds(5))
                .build());
    }

    @Override
    protected void publishWithoutEnvelope(String topic, byte[] payload) {
        try (Connection c = rabbit.adminConnection();
                Channel ch = c.createChannel()) {
            ch.confirmSelect();
            ch.basicPublish(settings.exchange(), topic, new AMQP.BasicProperties(), payload);
            ch.waitForConfirmsOrDie(timeout().toMillis());
        } catch (Exception e) {
            throw new AssertionError("cannot publish a plain message to " + topic, e);
        }
    }

    /** Reads the dead-letter queue without acknowledging: closing the channel puts the messages back. */
    @Override
    protected List<DeadLetter> deadLetters(SubscriptionSpec spec, int count, Duration timeout) {
        String queue = settings.queuePrefix() + "." + spec.deadLetterOrDefault();
        AtomicReference<List<DeadLetter>> found = new AtomicReference<>(List.of());
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
                found.set(peek(queue));
                return found.get().size() >= count;
            });
        } catch (ConditionTimeoutException e) {
            // The contract wants what there is, and judges it.
        }
        return found.get();
    }

    private static List<DeadLetter> peek(String queue) throws Exception {
        List<DeadLetter> letters = new ArrayList<>();
        try (Connection c = rabbit.adminConnection();
                Channel ch = c.createChannel()) {
            for (GetResponse r = ch.basicGet(queue, false); r != null; r = ch.basicGet(queue, false)) {
                letters.add(new DeadLetter(strings(r.getProps().getHeaders()), r.getBody()));
            }
        }
        return letters;
    }

    private static Map<String, String> strings(Map<String, Object> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (v instanceof LongString || v instanceof String || v instanceof Number) {
                    out.put(k, v.toString());
                }
            });
        }
        return out;
    }
}
