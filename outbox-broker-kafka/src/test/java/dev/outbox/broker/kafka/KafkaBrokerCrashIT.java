package dev.outbox.broker.kafka;

import static dev.outbox.broker.kafka.KafkaBrokerIT.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.Envelope;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.broker.kafka.internal.WireHeaders;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kafka SIGKILLed in the middle of a stream of publishes, and started again on the same data. */
class KafkaBrokerCrashIT {
    private static final Logger log = LoggerFactory.getLogger(KafkaBrokerCrashIT.class);
    private static final int BATCH = 250;
    private static final Duration BOUND = Duration.ofSeconds(30);

    @Test
    void everyPublishCompletesAndARetryOfTheFailedOnesLosesNothing() throws Exception {
        String topic = "crash." + UUID.randomUUID().toString().substring(0, 8);
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build()) {
            kafka.start();
            KafkaBroker broker = KafkaBroker.create(TestKafka.settings(kafka, 4)
                    .producerProperty("request.timeout.ms", "2000")
                    .producerProperty("delivery.timeout.ms", "5000")
                    .producerProperty("max.block.ms", "2000")
                    .build());
            try {
                Map<OutgoingMessage, CompletableFuture<Void>> all = new LinkedHashMap<>();
                int next = 0;

                // Before the crash: acknowledged as usual.
                for (int b = 0; b < 4; b++) {
                    await(publish(broker, topic, next, all));
                    next += BATCH;
                }
                // A batch in flight when the broker dies, and more published while it is down.
                List<CompletableFuture<Void>> inFlight = publish(broker, topic, next, all);
                next += BATCH;
                kafka.kill();
                List<CompletableFuture<Void>> whileDown = new ArrayList<>(inFlight);
                for (int b = 0; b < 4; b++) {
                    whileDown.addAll(publish(broker, topic, next, all));
                    next += BATCH;
                }
                int failedWhileDown = await(whileDown);
                assertThat(failedWhileDown)
                        .as("publishes to a dead broker fail")
                        .isPositive();

                kafka.start();
                for (int b = 0; b < 4; b++) {
                    await(publish(broker, topic, next, all));
                    next += BATCH;
                }

                // Every future completed, and none fatally.
                List<OutgoingMessage> failed = new ArrayList<>();
                all.forEach((m, f) -> {
                    assertThat(f).isDone();
                    if (f.isCompletedExceptionally()) {
                        assertThat(f)
                                .failsWithin(Duration.ZERO)
                                .withThrowableOfType(ExecutionException.class)
                                .havingCause()
                                .isInstanceOf(RetriableException.class);
                        failed.add(m);
                    }
                });
                log.info(
                        "{} messages published, {} failed retriably around the crash; retrying those",
                        all.size(),
                        failed.size());

                List<OutgoingMessage> retry = failed;
                for (int attempt = 1; !retry.isEmpty() && attempt <= 5; attempt++) {
                    List<CompletableFuture<Void>> futures = broker.publish(retry);
                    await(futures);
                    List<OutgoingMessage> still = new ArrayList<>();
                    for (int i = 0; i < retry.size(); i++) {
                        if (futures.get(i).isCompletedExceptionally()) {
                            still.add(retry.get(i));
                        }
                    }
                    retry = still;
                }
                assertThat(retry).as("acknowledged after a retry").isEmpty();

                Set<String> expected = new HashSet<>();
                all.keySet().forEach(m -> expected.add(m.envelope().messageId().toString()));
                List<ConsumerRecord<byte[], byte[]>> records = TestKafka.readAll(kafka, topic, all.size(), BOUND);
                Set<String> found = new HashSet<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    found.add(WireHeaders.fromKafka(r.headers()).get(Envelope.MESSAGE_ID));
                }
                log.info("{} records on the topic for {} messages", records.size(), all.size());
                assertThat(found).as("nothing lost").containsAll(expected);
                assertThat(found)
                        .as("only our messages, duplicates with their own id")
                        .hasSameSizeAs(expected);
            } finally {
                broker.close();
            }
        }
    }

    private static List<CompletableFuture<Void>> publish(
            KafkaBroker broker, String topic, int from, Map<OutgoingMessage, CompletableFuture<Void>> all) {
        List<OutgoingMessage> batch = new ArrayList<>();
        for (int i = from; i < from + BATCH; i++) {
            batch.add(message(topic, "key-" + (i % 50), "message " + i, Map.of()));
        }
        List<CompletableFuture<Void>> futures = broker.publish(batch);
        for (int i = 0; i < batch.size(); i++) {
            all.put(batch.get(i), futures.get(i));
        }
        return futures;
    }

    /** Waits for every future, as the relay does, bounded; returns how many failed. */
    private static int await(List<CompletableFuture<Void>> futures) throws Exception {
        int failed = 0;
        for (CompletableFuture<Void> f : futures) {
            try {
                f.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                failed++;
            }
        }
        return failed;
    }
}
