package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.Envelope;
import dev.outbox.broker.kafka.internal.WireHeaders;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Everything a plain kafka-clients consumer, with no help from the outbox, reads from one topic: each record's {@code
 * message_id} header, key, partition and offset. Then what the fault tests check of it: every committed message exactly
 * once (or at least once), nothing else, and per-key order.
 */
final class KafkaDeliveries {
    /** One record as read. */
    record Delivery(long id, String key, int partition, long offset) {}

    private final List<Delivery> deliveries;

    private KafkaDeliveries(List<Delivery> deliveries) {
        this.deliveries = List.copyOf(deliveries);
    }

    /**
     * Reads {@code topic} from the beginning with {@code isolation}, until every id of {@code expected} was read and
     * then up to the end offsets the consumer sees (the last stable offset under {@code read_committed}), so that
     * copies are read too; at most {@code bound}.
     *
     * @throws AssertionError if the expected ids were not all read within the bound, naming how many were missing
     */
    static KafkaDeliveries read(
            EmbeddedKafka kafka, String topic, IsolationLevel isolation, Set<Long> expected, Duration bound) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString().toLowerCase(Locale.ROOT));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "outbox-it-reader");
        List<Delivery> read = new ArrayList<>();
        Set<Long> missing = new HashSet<>(expected);
        long deadline = System.nanoTime() + bound.toNanos();
        try (Admin admin = TestKafka.admin(kafka);
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = TestKafka.assignFromStart(admin, consumer, topic);
            while (!missing.isEmpty() && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Delivery d = delivery(r);
                    read.add(d);
                    missing.remove(d.id());
                }
            }
            assertThat(missing)
                    .as("messages not read from " + topic + " (" + isolation + ") within " + bound + ", of "
                            + expected.size())
                    .isEmpty();
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> position = new HashMap<>();
            partitions.forEach(tp -> position.put(tp, consumer.position(tp, Duration.ofSeconds(30))));
            while (!reached(position, end) && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(delivery(r));
                }
                partitions.forEach(tp -> position.put(tp, consumer.position(tp, Duration.ofSeconds(30))));
            }
            assertThat(reached(position, end))
                    .as("read " + topic + " to its end offsets " + end + " within " + bound + ", at " + position)
                    .isTrue();
        }
        return new KafkaDeliveries(read);
    }

    private static boolean reached(Map<TopicPartition, Long> position, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> position.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }

    private static Delivery delivery(ConsumerRecord<byte[], byte[]> r) {
        String id = WireHeaders.fromKafka(r.headers()).get(Envelope.MESSAGE_ID);
        assertThat(id)
                .as("message_id header of " + r.topic() + "-" + r.partition() + "@" + r.offset())
                .isNotNull();
        return new Delivery(
                Long.parseLong(id),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                r.partition(),
                r.offset());
    }

    /** Every record read. */
    List<Delivery> all() {
        return deliveries;
    }

    /** How many times each id was read. */
    Map<Long, Integer> copies() {
        Map<Long, Integer> copies = new TreeMap<>();
        deliveries.forEach(d -> copies.merge(d.id(), 1, Integer::sum));
        return copies;
    }

    /** The ids read more than once. */
    Set<Long> duplicated() {
        return copies().entrySet().stream()
                .filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Asserts that every id of {@code committed} was read exactly once, and nothing else. */
    void assertExactlyOnce(Set<Long> committed) {
        assertThat(copies().keySet())
                .as("ids read (nothing lost, nothing from a rolled-back transaction)")
                .isEqualTo(new TreeSet<>(committed));
        assertThat(duplicated()).as("ids read more than once").isEmpty();
    }

    /** Asserts that every id of {@code committed} was read at least once, and nothing else. */
    void assertAtLeastOnce(Set<Long> committed) {
        assertThat(copies().keySet())
                .as("ids read (nothing lost, nothing from a rolled-back transaction)")
                .isEqualTo(new TreeSet<>(committed));
    }

    /**
     * Asserts that each key's messages first appear in id order, reading each partition in offset order, and that all
     * of a key's messages are in one partition.
     */
    void assertKeyOrder() {
        Map<String, List<Delivery>> byKey = new LinkedHashMap<>();
        deliveries.stream()
                .sorted(Comparator.comparingInt(Delivery::partition).thenComparingLong(Delivery::offset))
                .forEach(d ->
                        byKey.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(d));
        assertThat(byKey).as("keys read").isNotEmpty();
        byKey.forEach((key, list) -> {
            assertThat(list.stream().map(Delivery::partition).distinct())
                    .as("partitions of key " + key)
                    .hasSize(1);
            Set<Long> seen = new HashSet<>();
            List<Long> first = list.stream().map(Delivery::id).filter(seen::add).toList();
            assertThat(first).as("first arrivals of key " + key).isSorted();
        });
    }
}
