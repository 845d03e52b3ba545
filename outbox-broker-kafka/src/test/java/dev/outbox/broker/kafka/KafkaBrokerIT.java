package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.internal.WireHeaders;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the Kafka adapter adds to the broker contract: record layout, topic policy, size limits, held-back keys. */
class KafkaBrokerIT {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicLong IDS = new AtomicLong(System.currentTimeMillis());

    private static EmbeddedKafka kafka;
    private static KafkaBroker creating;
    private static KafkaBroker strict;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.shared();
        creating = KafkaBroker.create(TestKafka.settings(kafka, 3).build());
        strict = KafkaBroker.create(KafkaBrokerSettings.builder(kafka.bootstrapServers())
                .topicPolicy(TopicPolicy.requireExisting())
                .build());
    }

    @AfterAll
    static void stop() {
        creating.close();
        strict.close();
    }

    @Test
    void aRecordIsKeyedByPartitionKeyAndCarriesTheEnvelopeAsHeaders() throws Exception {
        String topic = "it." + RUN + ".layout";
        OutgoingMessage m = message(topic, "order-1", "payload", Map.of("traceparent", "00-abc-def-01"));

        creating.publish(List.of(m)).get(0).get(30, TimeUnit.SECONDS);

        ConsumerRecord<byte[], byte[]> r = TestKafka.readAll(kafka, topic, 1, java.time.Duration.ofSeconds(30))
                .get(0);
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("order-1");
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("payload");
        assertThat(WireHeaders.fromKafka(r.headers())).isEqualTo(m.envelope().toHeaders());
    }

    @Test
    void keylessMessagesShareOnePartitionSoTheyKeepTheirOrder() throws Exception {
        String topic = "it." + RUN + ".keyless";
        List<OutgoingMessage> batch = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            batch.add(message(topic, null, "keyless " + i, Map.of()));
        }

        for (CompletableFuture<Void> f : creating.publish(batch)) {
            f.get(30, TimeUnit.SECONDS);
        }

        List<ConsumerRecord<byte[], byte[]>> records =
                TestKafka.readAll(kafka, topic, batch.size(), java.time.Duration.ofSeconds(30));
        assertThat(records).allSatisfy(r -> assertThat(r.partition()).isZero());
        assertThat(records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)))
                .containsExactlyElementsOf(batch.stream()
                        .map(o -> new String(o.payload(), StandardCharsets.UTF_8))
                        .toList());
    }

    @Test
    void aMissingTopicIsFatalWhenTopicsMustExistAndFineOnceCreated() throws Exception {
        String topic = "it." + RUN + ".required";

        assertFails(strict.publish(List.of(message(topic, "k", "x", Map.of()))).get(0), FatalException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("requireExisting");

        try (Admin admin = TestKafka.admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        strict.publish(List.of(message(topic, "k", "x", Map.of()))).get(0).get(30, TimeUnit.SECONDS);
    }

    @Test
    void anIllegalTopicNameIsFatalAndTheRestOfTheBatchGoesThrough() throws Exception {
        String good = "it." + RUN + ".legal";
        List<CompletableFuture<Void>> futures = creating.publish(
                List.of(message("has a space", "k", "x", Map.of()), message(good, "k", "y", Map.of())));

        assertFails(futures.get(0), FatalException.class).hasMessageContaining("has a space");
        futures.get(1).get(30, TimeUnit.SECONDS);
    }

    @Test
    void afterAFailureInTheBatchLaterMessagesOfTheSameKeyAreHeldBack() throws Exception {
        String topic = "it." + RUN + ".held";
        KafkaBroker small = KafkaBroker.create(TestKafka.settings(kafka, 1)
                .producerProperty("max.request.size", "20000")
                .build());
        try {
            OutgoingMessage tooLarge =
                    new OutgoingMessage(message(topic, "k", "", Map.of()).envelope(), new byte[30_000], 0);
            OutgoingMessage sameKey = message(topic, "k", "same key, after", Map.of());
            OutgoingMessage otherKey = message(topic, "other", "other key", Map.of());

            List<CompletableFuture<Void>> futures = small.publish(List.of(tooLarge, sameKey, otherKey));

            assertFails(futures.get(0), FatalException.class).hasMessageContaining("RecordTooLarge");
            assertFails(futures.get(1), RetriableException.class).hasMessageContaining("earlier message");
            futures.get(2).get(30, TimeUnit.SECONDS);
            assertThat(TestKafka.readAll(kafka, topic, 1, java.time.Duration.ofSeconds(30)))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("other key");
        } finally {
            small.close();
        }
    }

    @Test
    void aRecordOverTheTopicsLimitIsRefusedBeforeItIsSentUntilTheLimitIsRaised() throws Exception {
        String topic = "it." + RUN + ".limited";
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "10000"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        OutgoingMessage large =
                new OutgoingMessage(message(topic, "k", "", Map.of()).envelope(), new byte[20_000], 0);
        OutgoingMessage behind = message(topic, "k", "behind", Map.of());

        List<CompletableFuture<Void>> futures = creating.publish(List.of(large, behind));

        assertFails(futures.get(0), FatalException.class)
                .hasMessageContaining("RecordTooLarge")
                .hasMessageContaining("max.message.bytes");
        assertFails(futures.get(1), RetriableException.class).hasMessageContaining("earlier message");
        // Other keys keep using the topic meanwhile: the broker reads its limit again for them.
        OutgoingMessage other = message(topic, "other", "meanwhile", Map.of());
        creating.publish(List.of(other)).get(0).get(30, TimeUnit.SECONDS);

        setTopicConfig(topic, "max.message.bytes", "100000");
        for (CompletableFuture<Void> f : creating.publish(List.of(large, behind))) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(TestKafka.readAll(kafka, topic, 3, java.time.Duration.ofSeconds(30)))
                .extracting(r -> r.value().length)
                .containsExactly("meanwhile".length(), 20_000, "behind".length());
    }

    @Test
    void withCompressionKafkaItselfRefusesARecordOverTheTopicsLimit() throws Exception {
        String topic = "it." + RUN + ".compressed";
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "10000"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        KafkaBroker compressing = KafkaBroker.create(TestKafka.settings(kafka, 1)
                .producerProperty("compression.type", "lz4")
                .build());
        try {
            byte[] incompressible = new byte[20_000];
            new java.util.Random(7).nextBytes(incompressible);
            byte[] compressible = new byte[20_000];
            OutgoingMessage refused =
                    new OutgoingMessage(message(topic, "a", "", Map.of()).envelope(), incompressible, 0);
            OutgoingMessage fits =
                    new OutgoingMessage(message(topic, "b", "", Map.of()).envelope(), compressible, 0);

            List<CompletableFuture<Void>> futures = compressing.publish(List.of(refused, fits));

            assertFails(futures.get(0), FatalException.class).hasMessageContaining("RecordTooLarge");
            futures.get(1).get(30, TimeUnit.SECONDS);
        } finally {
            compressing.close();
        }
    }

    private static void setTopicConfig(String topic, String name, String value) throws Exception {
        try (Admin admin = TestKafka.admin(kafka)) {
            admin.incrementalAlterConfigs(Map.of(
                            new org.apache.kafka.common.config.ConfigResource(
                                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic),
                            List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                                    new org.apache.kafka.clients.admin.ConfigEntry(name, value),
                                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDeadLetterTopicThatMustExistButDoesNotIsRefusedAtSubscribe() {
        SubscriptionSpec spec = SubscriptionSpec.builder("it-" + RUN + "-strict")
                .patterns("it." + RUN + ".anything")
                .build();

        assertThatThrownBy(() -> strict.subscribe(spec, m -> {}))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(spec.deadLetterOrDefault());
        assertThatThrownBy(() -> creating.subscribe(
                        SubscriptionSpec.builder("it-" + RUN + "-self")
                                .patterns("it-" + RUN + "-self.dlq")
                                .build(),
                        m -> {}))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("own dead-letter topic");
    }

    @Test
    void aClosedBrokerFailsPublishesRetriablyAndRefusesSubscriptions() {
        KafkaBroker b = KafkaBroker.create(TestKafka.settings(kafka, 1).build());
        b.close();
        b.close();

        assertFails(
                b.publish(List.of(message("it." + RUN + ".closed", "k", "x", Map.of())))
                        .get(0),
                RetriableException.class);
        assertThatThrownBy(() -> b.subscribe(
                        SubscriptionSpec.builder("it-" + RUN + "-closed")
                                .patterns("x")
                                .build(),
                        m -> {}))
                .isInstanceOf(IllegalStateException.class);
    }

    private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertFails(
            CompletableFuture<Void> f, Class<? extends Throwable> type) {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return assertThat(e.getCause()).isInstanceOf(type);
        } catch (Exception e) {
            throw new AssertionError("the future did not fail in time", e);
        }
        throw new AssertionError("the future succeeded, expected " + type.getSimpleName());
    }

    static OutgoingMessage message(String topic, String key, String text, Map<String, String> headers) {
        Envelope e = new Envelope(
                new MessageId(IDS.incrementAndGet()),
                "kafka-it",
                topic,
                key,
                "TestEvent",
                "text/plain",
                Instant.now(),
                headers);
        return new OutgoingMessage(e, text.getBytes(StandardCharsets.UTF_8), 0);
    }
}
