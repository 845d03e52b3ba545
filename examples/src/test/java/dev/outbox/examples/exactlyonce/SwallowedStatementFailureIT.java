package dev.outbox.examples.exactlyonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.outbox.Backoff;
import dev.outbox.DeadLetterHeaders;
import dev.outbox.Envelope;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.TransactionAbortedException;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.testkit.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * G5 when a handler swallows a failed statement, on a real PostgreSQL with a real RabbitMQ delivery: the message is
 * retried and then dead-lettered, and never acknowledged as processed, although the handler returned normally each
 * time.
 */
class SwallowedStatementFailureIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String AMQP = "amqp://guest:guest@127.0.0.1:5672";
    private static final int ATTEMPTS = 3;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String prefix = "swallowed-" + run;
    private final String name = "stock-" + run;

    @AfterEach
    void deleteQueues() throws Exception {
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            ch.queueDelete(prefix + "." + name);
            ch.queueDelete(prefix + "." + name + ".dlq");
            ch.exchangeDelete(prefix + "." + name + ".dlq");
        }
    }

    @Test
    void theMessageIsRetriedThenDeadLetteredAndNeverRecordedAsProcessed() throws Exception {
        Jdbi jdbi = pg.jdbi();
        jdbi.useHandle(h -> h.execute("create table stock_" + run + " (sku text primary key, quantity int not null)"));
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger processed = new AtomicInteger();
        String topic = "Swallowed." + run + ".StockChanged";

        try (RabbitBroker broker = RabbitBroker.create(RabbitBrokerSettings.builder()
                        .uri(AMQP)
                        .queuePrefix(prefix)
                        .build());
                Deduplicator dedup = Deduplicator.builder()
                        .jdbi(jdbi)
                        .consumer(name)
                        .table(DedupTable.named("processed_" + run))
                        .listener(new DedupListener() {
                            @Override
                            public void processed(String consumer, dev.outbox.IncomingMessage m, Duration elapsed) {
                                processed.incrementAndGet();
                            }
                        })
                        .build()) {
            dedup.migrate();
            Subscription subscription = broker.subscribe(
                    SubscriptionSpec.builder(name)
                            .patterns(topic)
                            .maxAttempts(ATTEMPTS)
                            .backoff(Backoff.fixed(Duration.ofMillis(50)))
                            .build(),
                    dedup.wrap((h, m) -> {
                        attempts.incrementAndGet();
                        h.execute("insert into stock_" + run + " (sku, quantity) values ('sku-1', 5)");
                        try {
                            // Violates the primary key: PostgreSQL aborts the whole transaction.
                            h.execute("insert into stock_" + run + " (sku, quantity) values ('sku-1', 6)");
                        } catch (RuntimeException swallowed) {
                            // The mistake under test: the handler carries on as if nothing happened.
                        }
                    }));
            try {
                Envelope envelope = new Envelope(
                        new MessageId(7),
                        "warehouse",
                        topic,
                        "sku-1",
                        "StockChanged",
                        "text/plain",
                        Instant.now(),
                        Map.of());
                broker.publish(List.of(new OutgoingMessage(envelope, "5".getBytes(StandardCharsets.UTF_8), 0)))
                        .get(0)
                        .get(30, TimeUnit.SECONDS);

                String deadLetters = prefix + "." + name + ".dlq";
                GetResponse letter =
                        await().atMost(Duration.ofSeconds(30)).until(() -> get(deadLetters), r -> r != null);

                assertThat(attempts).hasValue(ATTEMPTS);
                Map<String, Object> headers = letter.getProps().getHeaders();
                assertThat(String.valueOf(headers.get(DeadLetterHeaders.ERROR_CLASS)))
                        .isEqualTo(TransactionAbortedException.class.getName());
                assertThat(String.valueOf(headers.get(DeadLetterHeaders.ERROR))).contains("aborted");
                assertThat(processed).hasValue(0);
                assertThat(dedup.processedMessages().contains(name, "warehouse", new MessageId(7)))
                        .as("recorded as processed")
                        .isFalse();
                int rows = jdbi.withHandle(h -> h.createQuery("select count(*) from stock_" + run)
                        .mapTo(Integer.class)
                        .one());
                assertThat(rows).as("rows the handler wrote").isZero();
            } finally {
                subscription.close();
            }
        }
    }

    private static GetResponse get(String queue) throws Exception {
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            return ch.basicGet(queue, true);
        }
    }

    private static Connection connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(AMQP);
        return f.newConnection("outbox-it-swallowed");
    }
}
