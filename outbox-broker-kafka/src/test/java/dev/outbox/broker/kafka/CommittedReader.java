package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.kafka.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A plain kafka-clients consumer with {@code isolation.level=read_committed}, as a consumer that is not ours (Kafka
 * Streams, a sink connector) reads: every record of a topic's partitions, in partition order, by assignment (no group).
 * Polled by the test's own thread through {@link #poll()}; close it.
 */
final class CommittedReader implements AutoCloseable {
    /** A record received: its message id, key and where it was. */
    record Received(long id, String key, int partition, long offset) {}

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<Received> received = new ArrayList<>();

    CommittedReader(EmbeddedKafka kafka, String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("isolation.level", "read_committed");
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try (Admin admin = TestKafka.admin(kafka)) {
            TestKafka.assignFromStart(admin, consumer, topic);
        } catch (Exception e) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            throw new IllegalStateException("could not read topic " + topic, e);
        }
    }

    /** Polls once (at most 200 ms) and returns this reader, for Awaitility conditions. */
    synchronized CommittedReader poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            Header h = r.headers().lastHeader("message_id");
            long id = Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            received.add(new Received(id, key, r.partition(), r.offset()));
        }
        return this;
    }

    /**
     * Reads until every partition's position reaches its end (the last stable offset: past every settled transaction),
     * within {@code timeout}.
     */
    synchronized CommittedReader readToEnd(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("could not read to " + end + " within " + timeout);
            }
            poll();
        }
        return this;
    }

    /** The distinct ids received so far. */
    synchronized Set<Long> ids() {
        return received.stream().map(Received::id).collect(Collectors.toCollection(TreeSet::new));
    }

    synchronized List<Received> received() {
        return List.copyOf(received);
    }

    /** Ids received more than once. */
    synchronized Set<Long> duplicates() {
        Map<Long, Integer> count = new HashMap<>();
        received.forEach(r -> count.merge(r.id(), 1, Integer::sum));
        return count.entrySet().stream()
                .filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Each key's ids arrived in increasing order (a key lives in one partition, read in offset order). */
    synchronized void assertKeyOrder() {
        Map<String, List<Long>> byKey = new HashMap<>();
        received.forEach(
                r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.id()));
        byKey.forEach((key, ids) -> assertThat(ids).as("ids of key %s", key).isSorted());
    }

    /** Every id of {@code committed} received exactly once, and nothing else. */
    synchronized void assertExactlyOnce(Set<Long> committed) {
        assertThat(duplicates()).as("ids received more than once").isEmpty();
        assertThat(ids()).isEqualTo(new TreeSet<>(committed));
        assertThat(received).hasSize(committed.size());
    }

    @Override
    public synchronized void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
