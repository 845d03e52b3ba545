package dev.outbox.examples.exactlyonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.Message;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.StoreException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.broker.kafka.TopicPolicy;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * G5 end to end, on each broker: a relay dies after the broker acknowledged a batch and before it deleted it, so
 * another relay publishes the batch again; the consumer's side effects still number exactly one per committed message.
 */
class ExactlyOnceIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final int MESSAGES = 300;
    private static final String AMQP = "amqp://guest:guest@127.0.0.1:5672";
    private static final EmbeddedKafka kafka = EmbeddedKafka.shared();

    @Test
    void onKafka() throws Exception {
        String run = run();
        try (KafkaBroker broker = KafkaBroker.create(KafkaBrokerSettings.builder(kafka.bootstrapServers())
                .clientId("exactly-once-" + run)
                .topicPolicy(TopicPolicy.createMissing(4, (short) 1))
                .build())) {
            scenario(run, broker);
        }
    }

    @Test
    void onRabbitMq() throws Exception {
        String run = run();
        String prefix = "exactly-once-" + run;
        try (RabbitBroker broker = RabbitBroker.create(
                RabbitBrokerSettings.builder().uri(AMQP).queuePrefix(prefix).build())) {
            scenario(run, broker);
        } finally {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(AMQP);
            try (var c = f.newConnection();
                    Channel ch = c.createChannel()) {
                String queue = prefix + ".effects-" + run;
                ch.queueDelete(queue);
                ch.queueDelete(queue + ".dlq");
                ch.exchangeDelete(queue + ".dlq");
            }
        }
    }

    private static String run() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private void scenario(String run, Broker broker) throws Exception {
        Jdbi jdbi = pg.jdbi();
        JdbiStoreConfig config =
                JdbiStoreConfig.builder().tablePrefix("eo_" + run).lanes(8).build();
        JdbiMessageStore store = JdbiMessageStore.create(jdbi, config);
        store.migrate();
        String effects = "effect_" + run;
        jdbi.useHandle(
                h -> h.execute("create table " + effects + " (message_id bigint not null, source text not null)"));
        String topic = "ExactlyOnce." + run + ".Happened";

        AtomicLong skipped = new AtomicLong();
        try (Deduplicator dedup = Deduplicator.builder()
                .jdbi(jdbi)
                .consumer("effects-" + run)
                .table(DedupTable.named("processed_" + run))
                .listener(new DedupListener() {
                    @Override
                    public void skipped(String consumer, dev.outbox.IncomingMessage message) {
                        skipped.incrementAndGet();
                    }
                })
                .build()) {
            dedup.migrate();
            // Deliberately no unique key on the effect table: only the dedup record keeps effects to one.
            Subscription sub = broker.subscribe(
                    SubscriptionSpec.builder("effects-" + run)
                            .patterns("ExactlyOnce." + run + ".#")
                            .build(),
                    dedup.wrap((h, m) -> h.createUpdate(
                                    "insert into " + effects + " (message_id, source) values (:id, :source)")
                            .bind("id", m.messageId().value())
                            .bind("source", m.source())
                            .execute()));
            try {
                JdbiOutbox outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
                for (int i = 0; i < MESSAGES; i++) {
                    int n = i;
                    jdbi.useTransaction(h -> outbox.in(h)
                            .append(Message.builder(topic)
                                    .key("key-" + (n % 10))
                                    .type("Happened")
                                    .payload(Integer.toString(n), "text/plain")
                                    .build()));
                }

                // The first relay publishes everything, then dies before deleting any of it.
                AtomicBoolean dead = new AtomicBoolean();
                Relay doomed = relay(dyingAtAcknowledge(store, dead), broker, "doomed-" + run);
                try {
                    doomed.start();
                    await().atMost(Duration.ofSeconds(60)).untilTrue(dead);
                } finally {
                    doomed.close();
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> count(jdbi, effects) == MESSAGES);

                // A second relay takes the lanes over once the dead one's lease ends, and publishes them all again.
                try (Relay survivor = relay(store, broker, "survivor-" + run)) {
                    survivor.start();
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> store.status().stream().allMatch(l -> l.backlog() == 0));
                    await().atMost(Duration.ofSeconds(60)).until(() -> skipped.get() >= MESSAGES);
                }
                assertThat(count(jdbi, effects)).isEqualTo(MESSAGES);
                long repeated = jdbi.withHandle(h -> h.createQuery("select count(*) from (select message_id from "
                                + effects + " group by message_id having count(*) > 1) d")
                        .mapTo(Long.class)
                        .one());
                assertThat(repeated)
                        .as("messages whose effect happened more than once")
                        .isZero();
            } finally {
                sub.close();
            }
        }
    }

    private static long count(Jdbi jdbi, String table) {
        return jdbi.withHandle(h ->
                h.createQuery("select count(*) from " + table).mapTo(Long.class).one());
    }

    private static Relay relay(MessageStore store, Broker broker, String id) {
        return Relay.builder()
                .store(store)
                .broker(broker)
                .source("exactly-once")
                .id(id)
                .batchSize(MESSAGES * 2)
                .lease(Duration.ofSeconds(2))
                .heartbeat(Duration.ofMillis(500))
                .build();
    }

    /** The store as a relay that dies right after the broker acknowledged its first batch sees it: gone. */
    private static MessageStore dyingAtAcknowledge(MessageStore store, AtomicBoolean dead) {
        return (MessageStore) Proxy.newProxyInstance(
                MessageStore.class.getClassLoader(), new Class<?>[] {MessageStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("acknowledge")) {
                        dead.set(true);
                    }
                    if (dead.get() && !method.getName().equals("lanes")) {
                        throw new StoreException("the relay's process is gone", null);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
