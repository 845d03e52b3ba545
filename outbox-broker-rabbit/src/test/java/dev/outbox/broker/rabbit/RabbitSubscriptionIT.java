package dev.outbox.broker.rabbit;

import static dev.outbox.broker.rabbit.TestMessages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.outbox.Backoff;
import dev.outbox.DeadLetterHeaders;
import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consuming side against the real local RabbitMQ: retries, dead letters, invalid messages, closing. */
class RabbitSubscriptionIT {
    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOPIC = "Warehouse.Events.ProductQuantityIncreased";

    @Test
    void aPoisonMessageIsTriedMaxAttemptsTimesThenDeadLetteredAndTheQueueKeepsFlowing() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        String name = rabbit.unique("projection");
        List<IncomingMessage> handled = new CopyOnWriteArrayList<>();
        List<Integer> poisonAttempts = new CopyOnWriteArrayList<>();
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(name)
                            .patterns("Warehouse.Events.#")
                            .maxAttempts(3)
                            .backoff(Backoff.fixed(Duration.ofMillis(50)))
                            .concurrency(2)
                            .build(),
                    m -> {
                        if (m.messageId().value() == 2) {
                            poisonAttempts.add(m.deliveryAttempt());
                            throw new IllegalStateException("cannot project message 2");
                        }
                        handled.add(m);
                    });
            List<OutgoingMessage> sent = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                sent.add(message(i, TOPIC, i % 2 == 0 ? "sku-even" : "sku-odd"));
            }
            all(broker.publish(sent));

            await().atMost(WAIT).until(() -> handled.size() == 19);
            assertThat(poisonAttempts).containsExactly(1, 2, 3);
            assertThat(handled).extracting(m -> m.messageId().value()).doesNotContain(2L);
            RabbitBrokerIT.assertKeyOrder(handled);

            String deadLetters = "outbox." + name + ".dlq";
            GetResponse dead = awaitOne(deadLetters);
            Map<String, Object> headers = dead.getProps().getHeaders();
            assertThat(dead.getProps().getMessageId()).isEqualTo("2");
            assertThat(headers.get(Envelope.MESSAGE_ID)).hasToString("2");
            assertThat(headers.get("traceparent")).hasToString(TestMessages.TRACEPARENT);
            assertThat(headers.get(DeadLetterHeaders.ERROR)).hasToString("cannot project message 2");
            assertThat(headers.get(DeadLetterHeaders.ERROR_CLASS)).hasToString(IllegalStateException.class.getName());
            assertThat(headers.get(DeadLetterHeaders.ATTEMPTS)).hasToString("3");
            assertThat(headers.get(DeadLetterHeaders.SUBSCRIPTION)).hasToString(name);
            assertThat(headers.get(DeadLetterHeaders.TOPIC)).hasToString(TOPIC);
            assertThat(headers.get(DeadLetterHeaders.EXCHANGE)).hasToString(settings.exchange());
            assertThat(Instant.parse(headers.get(DeadLetterHeaders.FAILED_AT).toString()))
                    .isBeforeOrEqualTo(Instant.now());
            assertThat(dead.getBody()).isEqualTo(TestMessages.payload(2));
            await().atMost(WAIT).until(() -> rabbit.ready("outbox." + name) == 0);
            assertThat(rabbit.ready(deadLetters)).isZero();
        }
    }

    @Test
    void aMessageWithoutAValidEnvelopeIsDeadLetteredAtOnceWithoutReachingTheHandler() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        String name = rabbit.unique("strict");
        List<IncomingMessage> handled = new CopyOnWriteArrayList<>();
        try (RabbitBroker broker = RabbitBroker.create(settings);
                Connection admin = rabbit.adminConnection();
                Channel raw = admin.createChannel()) {
            broker.subscribe(
                    SubscriptionSpec.builder(name).patterns("Warehouse.#").build(), handled::add);
            raw.basicPublish(
                    settings.exchange(),
                    TOPIC,
                    new AMQP.BasicProperties.Builder()
                            .messageId("not-a-number")
                            .headers(Map.of("message_id", "not-a-number"))
                            .build(),
                    "hello".getBytes(StandardCharsets.UTF_8));
            all(broker.publish(List.of(message(7, TOPIC, "a"))));

            GetResponse dead = awaitOne("outbox." + name + ".dlq");
            assertThat(dead.getProps().getHeaders().get(DeadLetterHeaders.ERROR))
                    .hasToString("header message_id is malformed: 'not-a-number'");
            assertThat(dead.getProps().getHeaders().get(DeadLetterHeaders.ATTEMPTS))
                    .hasToString("0");
            await().atMost(WAIT).until(() -> handled.size() == 1);
            assertThat(handled.get(0).messageId().value()).isEqualTo(7);
        }
    }

    @Test
    void aFatalExceptionFromTheHandlerDeadLettersWithoutRetrying() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        String name = rabbit.unique("fatal");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(name)
                            .patterns(TOPIC)
                            .maxAttempts(5)
                            .deadLetter(name + "-parking")
                            .build(),
                    m -> {
                        attempts.add(m.deliveryAttempt());
                        throw new FatalException("schema unknown");
                    });
            all(broker.publish(List.of(message(9, TOPIC, "a"))));

            GetResponse dead = awaitOne("outbox." + name + "-parking");
            assertThat(dead.getProps().getHeaders().get(DeadLetterHeaders.ATTEMPTS))
                    .hasToString("1");
            assertThat(attempts).containsExactly(1);
        }
    }

    @Test
    void closingLetsTheHandlerInProgressFinishAndAcknowledgesIt() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        String name = rabbit.unique("closing");
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> finished = new CopyOnWriteArrayList<>();
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            Subscription sub = broker.subscribe(
                    SubscriptionSpec.builder(name).patterns(TOPIC).build(), m -> {
                        inHandler.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        finished.add(m.messageId().value());
                    });
            all(broker.publish(List.of(message(1, TOPIC, "a"), message(2, TOPIC, "a"))));
            assertThat(inHandler.await(30, TimeUnit.SECONDS)).isTrue();

            Thread closer = new Thread(sub::close, "outbox-test-closer");
            closer.start();
            // Once the closer waits (for the lanes or the broker), the subscription is closing: release the handler.
            await().atMost(WAIT)
                    .until(() -> closer.getState() == Thread.State.WAITING
                            || closer.getState() == Thread.State.TIMED_WAITING);
            release.countDown();
            closer.join(30_000);
            assertThat(closer.isAlive()).isFalse();

            assertThat(finished).containsExactly(1L);
            // The finished message was acknowledged; the one never started waits in the queue for the next consumer.
            await().atMost(WAIT).until(() -> rabbit.ready("outbox." + name) == 1);
        }
    }

    private static void all(List<CompletableFuture<Void>> futures) throws Exception {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }

    private static GetResponse awaitOne(String queue) throws Exception {
        try (Connection admin = rabbit.adminConnection();
                Channel ch = admin.createChannel()) {
            GetResponse[] got = new GetResponse[1];
            await().atMost(WAIT).until(() -> (got[0] = ch.basicGet(queue, true)) != null);
            return got[0];
        }
    }
}
