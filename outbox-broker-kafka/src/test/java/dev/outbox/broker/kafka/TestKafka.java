package dev.outbox.broker.kafka;

import dev.outbox.kafka.embedded.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the integration tests of this module ask of Kafka. They share {@link EmbeddedKafka#shared()}; tests that kill
 * the broker start their own.
 */
final class TestKafka {
    private TestKafka() {}

    /** Settings for a broker on {@code kafka} that creates missing topics with {@code partitions} partitions. */
    static KafkaBrokerSettings.Builder settings(EmbeddedKafka kafka, int partitions) {
        return KafkaBrokerSettings.builder(kafka.bootstrapServers())
                .clientId("outbox-it")
                .topicPolicy(TopicPolicy.createMissing(partitions, (short) 1))
                .closeTimeout(Duration.ofSeconds(5));
    }

    static Admin admin(EmbeddedKafka kafka) {
        return Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()));
    }

    /** Assigns {@code consumer} every partition of {@code topic}, from the beginning; returns the partitions. */
    static List<TopicPartition> assignFromStart(Admin admin, Consumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> tps = new ArrayList<>();
        try {
            admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + topic, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not describe topic " + topic, e);
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        return tps;
    }

    /** Every record of {@code topic} from the beginning, waiting up to {@code timeout} for at least {@code count}. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(
            EmbeddedKafka kafka, String topic, int count, Duration timeout) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (Admin admin = admin(kafka);
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = assignFromStart(admin, consumer, topic);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < count && System.nanoTime() - deadline < 0) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            // Whatever else is already there, so a test sees duplicates too.
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            Map<TopicPartition, Long> position = new HashMap<>();
            tps.forEach(tp -> position.put(tp, consumer.position(tp)));
            while (!position.equals(end) && System.nanoTime() - deadline < 0) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                tps.forEach(tp -> position.put(tp, consumer.position(tp)));
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not read topic " + topic, e);
        }
        return records;
    }

    static Set<String> topics(EmbeddedKafka kafka) throws Exception {
        try (Admin admin = admin(kafka)) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }
}
