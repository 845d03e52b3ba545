package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.memory.RecordingMonitor;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.TestRelays;
import dev.outbox.testkit.TestTransactions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once mode end to end, read by a plain {@code read_committed} consumer: every committed message exactly
 * once, nothing of a rolled-back transaction, each key in order.
 */
class KafkaExactlyOnceIT {
    private static final Logger log = LoggerFactory.getLogger(KafkaExactlyOnceIT.class);

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String RUN = "eos" + UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 16;
    private static final int PARTITIONS = 4;
    private static final Duration WAIT = Duration.ofSeconds(120);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final RecordingMonitor monitor = new RecordingMonitor();
    private EmbeddedKafka kafka;
    private JdbiMessageStore store;
    private JdbiOutbox outbox;
    private String topic;
    private String positions;

    private void setUp(EmbeddedKafka kafka) throws Exception {
        this.kafka = kafka;
        int n = tables.incrementAndGet();
        JdbiStoreConfig config =
                JdbiStoreConfig.builder().tablePrefix("eos" + n).lanes(LANES).build();
        store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        topic = RUN + ".Stream" + n + ".Events.Tick";
        positions = RUN + "-positions-" + n;
        topics.add(topic);
        topics.add(positions);
        topics.add(positions + "-claims");
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private KafkaBrokerSettings.Builder settings() {
        return TestKafka.settings(kafka, PARTITIONS).exactlyOnce().positionsTopic(positions);
    }

    private KafkaBroker broker(KafkaBrokerSettings.Builder settings) {
        KafkaBroker broker = KafkaBroker.create(settings.build());
        toClose.add(broker);
        return broker;
    }

    private Relay startRelay(KafkaBroker broker) {
        Relay relay = TestRelays.quick(store, broker, "eos").monitor(monitor).build();
        toClose.add(relay);
        relay.start();
        return relay;
    }

    private CommittedReader reader() {
        CommittedReader reader = new CommittedReader(kafka, topic);
        toClose.add(reader);
        return reader;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        if (kafka != null && kafka.isRunning()) {
            try (Admin admin = TestKafka.admin(kafka)) {
                admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void eachCommittedMessageIsReadOnceByAReadCommittedConsumerAndRolledBackOnesNever() throws Exception {
        setUp(EmbeddedKafka.shared());
        KafkaBroker broker = broker(settings());
        assertThat(broker.transactional()).isTrue();
        Set<Long> committed = ConcurrentHashMap.newKeySet();
        startRelay(broker);
        CommittedReader reader = reader();
        for (int tx = 0; tx < 600; tx++) {
            boolean commit = tx % 10 != 9;
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(message("key-" + ((tx * 5 + i) % 13), "{\"n\":" + (tx * 5 + i) + "}"));
            }
            transaction(batch, commit).forEach(id -> committed.add(id.value()));
        }
        await().atMost(WAIT).until(() -> reader.poll().ids().containsAll(committed));
        await().atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 0);
        reader.readToEnd(WAIT);
        assertThat(committed).hasSize(2_700);
        reader.assertExactlyOnce(committed);
        reader.assertKeyOrder();
        assertThat(monitor.stopped()).isEmpty();
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private Message message(String key, String payload) {
        return Message.builder(topic)
                .key(key)
                .type("Tick")
                .payload(payload, "application/json")
                .build();
    }

    private List<MessageId> transaction(List<Message> messages, boolean commit) {
        return TestTransactions.append(pg.jdbi(), outbox.outbox(), messages, commit);
    }
}
