package dev.outbox.broker.kafka;

import static dev.outbox.broker.kafka.KafkaBrokerIT.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.IncomingMessage;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.internal.KafkaSubscription;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The subscriber's commit discipline: what was handled but not committed comes back, and nothing is lost. */
class KafkaSubscriptionIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static EmbeddedKafka kafka;
    private static KafkaBroker broker;
    private final List<Subscription> open = new ArrayList<>();

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.shared();
        broker = KafkaBroker.create(TestKafka.settings(kafka, 1).build());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @AfterEach
    void closeSubscriptions() {
        open.forEach(Subscription::close);
    }

    @Test
    void aCrashAfterHandlingButBeforeTheCommitRedeliversWithTheSameMessageId() throws Exception {
        String topic = "it." + RUN + ".crash";
        SubscriptionSpec spec =
                SubscriptionSpec.builder("it-" + RUN + "-crash").patterns(topic).build();
        List<OutgoingMessage> sent = publish(topic, 3);
        MessageId second = sent.get(1).envelope().messageId();
        AtomicReference<KafkaSubscription> first = new AtomicReference<>();
        List<MessageId> handledBeforeCrash = new ArrayList<>();
        CountDownLatch crashed = new CountDownLatch(1);

        first.set(subscribe(spec, m -> {
            if (crashed.getCount() == 0) {
                return;
            }
            handledBeforeCrash.add(m.messageId());
            if (m.messageId().equals(second)) {
                // The handler's work is done; the process dies before the subscriber commits it.
                first.get().abandon();
                crashed.countDown();
            }
        }));
        assertThat(crashed.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        await().atMost(TIMEOUT).until(() -> first.get().isStopped());
        assertThat(handledBeforeCrash).contains(second);

        Received again = new Received();
        subscribe(spec, again);

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(again.ids())
                .contains(second, sent.get(2).envelope().messageId()));
        assertThat(again.first(second).envelope()).isEqualTo(sent.get(1).envelope());
        assertThat(again.first(second).deliveryAttempt()).isEqualTo(1);
    }

    @Test
    void neverCommitsPastARecordStillBeingHandled() throws Exception {
        String topic = "it." + RUN + ".stuck";
        SubscriptionSpec spec =
                SubscriptionSpec.builder("it-" + RUN + "-stuck").patterns(topic).build();
        List<OutgoingMessage> sent = publish(topic, 3);
        MessageId stuck = sent.get(1).envelope().messageId();
        CountDownLatch inStuckHandler = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        KafkaSubscription first = subscribe(spec, m -> {
            if (m.messageId().equals(stuck)) {
                inStuckHandler.countDown();
                try {
                    never.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        });
        assertThat(inStuckHandler.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        TopicPartition tp = new TopicPartition(topic, 0);

        await().atMost(TIMEOUT).until(() -> committed(spec.name(), tp) == 1L);
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(5))
                .until(() -> committed(spec.name(), tp) == 1L);
        first.abandon();
        await().atMost(TIMEOUT).until(first::isStopped);

        Received again = new Received();
        subscribe(spec, again);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(again.ids())
                .containsExactly(stuck, sent.get(2).envelope().messageId()));
    }

    @Test
    void aRebalanceHandsPartitionsOverWithoutLosingAMessage() throws Exception {
        String topic = "it." + RUN + ".rebalance";
        KafkaBroker four = KafkaBroker.create(TestKafka.settings(kafka, 4).build());
        try {
            SubscriptionSpec spec = SubscriptionSpec.builder("it-" + RUN + "-rebalance")
                    .patterns(topic)
                    .concurrency(2)
                    .build();
            Received a = new Received(Duration.ofMillis(2));
            Received b = new Received(Duration.ofMillis(2));
            Subscription first = four.subscribe(spec, a);
            open.add(first);
            List<OutgoingMessage> sent = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                List<OutgoingMessage> batch = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    batch.add(message(topic, "key-" + (i % 20), "round " + round + " #" + i, Map.of()));
                }
                for (CompletableFuture<Void> f : four.publish(batch)) {
                    f.get(30, TimeUnit.SECONDS);
                }
                sent.addAll(batch);
                if (round == 0) {
                    // A second member joins while the first is busy: the partitions are shared out.
                    await().atMost(TIMEOUT).until(() -> a.ids().size() >= 20);
                    open.add(four.subscribe(spec, b));
                    await().atMost(TIMEOUT).until(() -> membersWithPartitions(spec.name()) == 2);
                }
                if (round == 2) {
                    // The first leaves: the second takes everything over.
                    first.close();
                }
            }

            Set<MessageId> all = ids(sent);
            await().atMost(TIMEOUT).untilAsserted(() -> {
                Set<MessageId> union = new LinkedHashSet<>(a.ids());
                union.addAll(b.ids());
                assertThat(union).containsAll(all);
            });
            assertThat(b.ids()).as("the second member took partitions over").isNotEmpty();
            for (Received r : List.of(a, b)) {
                assertThat(r.keysInOrder(sent))
                        .as("each member keeps the order of each key")
                        .isTrue();
            }
            open.forEach(Subscription::close);
            Map<TopicPartition, Long> end = endOffsets(topic, 4);
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                assertThat(committed(spec.name(), e.getKey()))
                        .as("everything handled is committed on close: " + e.getKey())
                        .isEqualTo(e.getValue());
            }
        } finally {
            four.close();
        }
    }

    @Test
    void aPatternSubscriptionFindsMatchingTopicsButNeverItsOwnDeadLetters() throws Exception {
        String prefix = "it" + RUN + ".Warehouse";
        KafkaBroker fastMetadata = KafkaBroker.create(TestKafka.settings(kafka, 1)
                .consumerProperty("metadata.max.age.ms", "500")
                .build());
        try {
            OutgoingMessage added = message(prefix + ".Events.ProductAdded", "p1", "added", Map.of());
            OutgoingMessage low = message(prefix + ".Events.Stock.Low", "p1", "low", Map.of());
            OutgoingMessage other = message(prefix + ".Commands.Ship", "p1", "other", Map.of());
            for (CompletableFuture<Void> f : fastMetadata.publish(List.of(added, low, other))) {
                f.get(30, TimeUnit.SECONDS);
            }
            SubscriptionSpec spec = SubscriptionSpec.builder("it-" + RUN + "-pattern")
                    .patterns(prefix + ".Events.#")
                    .deadLetter(prefix + ".Events.dlq")
                    .build();
            Received received = new Received();
            open.add(fastMetadata.subscribe(spec, received));
            OutgoingMessage later = message(prefix + ".Events.Later", "p1", "later", Map.of());
            fastMetadata.publish(List.of(later)).get(0).get(30, TimeUnit.SECONDS);

            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(received.ids())
                    .contains(
                            added.envelope().messageId(),
                            low.envelope().messageId(),
                            later.envelope().messageId()));
            assertThat(received.ids()).doesNotContain(other.envelope().messageId());
        } finally {
            fastMetadata.close();
        }
    }

    @Test
    void pausesAFullPartitionAndResumesItWithoutLosingOrder() throws Exception {
        String topic = "it." + RUN + ".backpressure";
        KafkaBroker tight = KafkaBroker.create(TestKafka.settings(kafka, 1)
                .maxBufferedPerPartition(10)
                .consumerProperty("max.poll.records", "20")
                .build());
        try {
            List<OutgoingMessage> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                sent.add(message(topic, "k", "m" + i, Map.of()));
            }
            for (CompletableFuture<Void> f : tight.publish(sent)) {
                f.get(30, TimeUnit.SECONDS);
            }
            Received received = new Received(Duration.ofMillis(1));
            open.add(tight.subscribe(
                    SubscriptionSpec.builder("it-" + RUN + "-backpressure")
                            .patterns(topic)
                            .build(),
                    received));

            await().atMost(TIMEOUT)
                    .untilAsserted(() -> assertThat(received.ids()).hasSize(sent.size()));
            assertThat(List.copyOf(received.ids())).containsExactlyElementsOf(ids(sent));
        } finally {
            tight.close();
        }
    }

    private KafkaSubscription subscribe(SubscriptionSpec spec, dev.outbox.MessageHandler handler) {
        KafkaSubscription s = (KafkaSubscription) broker.subscribe(spec, handler);
        open.add(s);
        return s;
    }

    private static List<OutgoingMessage> publish(String topic, int count) throws Exception {
        List<OutgoingMessage> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sent.add(message(topic, "k", "message " + i, Map.of()));
        }
        for (CompletableFuture<Void> f : broker.publish(sent)) {
            f.get(30, TimeUnit.SECONDS);
        }
        return sent;
    }

    private static long committed(String group, TopicPartition tp) throws Exception {
        try (Admin admin = TestKafka.admin(kafka)) {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS)
                    .get(tp);
            return o == null ? -1 : o.offset();
        }
    }

    private static long membersWithPartitions(String group) throws Exception {
        try (Admin admin = TestKafka.admin(kafka)) {
            return admin
                    .describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get(30, TimeUnit.SECONDS)
                    .members()
                    .stream()
                    .filter(m -> !m.assignment().topicPartitions().isEmpty())
                    .count();
        }
    }

    private static Map<TopicPartition, Long> endOffsets(String topic, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> end = new HashMap<>();
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.listOffsets(request)
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> end.put(tp, info.offset()));
        }
        return end;
    }

    private static Set<MessageId> ids(List<OutgoingMessage> messages) {
        Set<MessageId> ids = new LinkedHashSet<>();
        messages.forEach(m -> ids.add(m.envelope().messageId()));
        return ids;
    }

    /** Keeps what it receives; optionally spends a little time per message, like real work. */
    static final class Received implements dev.outbox.MessageHandler {
        private final ConcurrentLinkedQueue<IncomingMessage> messages = new ConcurrentLinkedQueue<>();
        private final Duration work;

        Received() {
            this(Duration.ZERO);
        }

        Received(Duration work) {
            this.work = work;
        }

        @Override
        public void handle(IncomingMessage message) {
            messages.add(message);
            if (!work.isZero()) {
                LockSupport.parkNanos(work.toNanos());
            }
        }

        Set<MessageId> ids() {
            Set<MessageId> ids = new LinkedHashSet<>();
            messages.forEach(m -> ids.add(m.messageId()));
            return ids;
        }

        IncomingMessage first(MessageId id) {
            return messages.stream()
                    .filter(m -> m.messageId().equals(id))
                    .findFirst()
                    .orElseThrow();
        }

        /** Whether, for every key, the messages of it this handler saw (repeats aside) came in the order sent. */
        boolean keysInOrder(List<OutgoingMessage> sent) {
            Map<MessageId, Integer> position = new HashMap<>();
            for (int i = 0; i < sent.size(); i++) {
                position.put(sent.get(i).envelope().messageId(), i);
            }
            Map<String, Integer> last = new HashMap<>();
            Set<MessageId> seen = new LinkedHashSet<>();
            for (IncomingMessage m : messages) {
                if (!seen.add(m.messageId())) {
                    continue;
                }
                int p = position.get(m.messageId());
                Integer before = last.put(m.envelope().key(), p);
                if (before != null && before > p) {
                    return false;
                }
            }
            return true;
        }
    }
}
