package dev.outbox.benchmarks;

import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.spi.Broker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka: the embedded real broker in a child JVM, topics made per benchmark, the adapter and a plain producer. */
final class KafkaSide implements Side {
    private final EmbeddedKafka kafka;
    private final Admin admin;
    private final int partitions;
    private final String prefix;
    private final Map<String, String> overrides;
    private int topics;

    private KafkaSide(EmbeddedKafka kafka, Admin admin, int partitions, String prefix, Map<String, String> overrides) {
        this.kafka = kafka;
        this.admin = admin;
        this.partitions = partitions;
        this.prefix = prefix;
        this.overrides = overrides;
    }

    /** Starts the embedded broker (about ten seconds). */
    static KafkaSide start(int partitions, String runId, Map<String, String> overrides) {
        EmbeddedKafka kafka = EmbeddedKafka.builder().maxHeap("1g").build();
        kafka.start();
        Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers(), "client.id", "outbox-bench"));
        return new KafkaSide(kafka, admin, partitions, "outbox-bench-" + runId, overrides);
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public synchronized String createDestination() {
        String topic = prefix + "-" + (++topics);
        try {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not create topic " + topic, e);
        }
        return topic;
    }

    @Override
    public void dropDestination(String topic) {
        try {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // The broker and its directory go away at the end of the run anyway.
        }
    }

    @Override
    public long delivered(String topic) {
        try {
            TopicDescription d =
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().values().stream()
                    .mapToLong(o -> o.offset())
                    .sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (ExecutionException e) {
            return -1;
        }
    }

    @Override
    public Broker broker(String topic) {
        return KafkaBroker.create(KafkaBrokerSettings.builder(kafka.bootstrapServers())
                .clientId("outbox-bench")
                .producerProperties(overrides)
                .build());
    }

    /**
     * The adapter's producer settings, written out: its defaults ({@code linger.ms=0}, the timeouts) and what it fixes
     * ({@code acks=all}, idempotence). Kept in step with {@code KafkaBrokerSettings} by hand.
     */
    Map<String, Object> producerConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", kafka.bootstrapServers());
        c.put("client.id", "outbox-bench-raw");
        c.put("linger.ms", "0");
        c.put("request.timeout.ms", "10000");
        c.put("delivery.timeout.ms", "25000");
        c.put("max.block.ms", "10000");
        c.putAll(overrides);
        c.put("acks", "all");
        c.put("enable.idempotence", "true");
        return c;
    }

    @Override
    public Raw raw(String topic) {
        return new RawProducer(topic);
    }

    /** Sends {@code count} records through a plain producer to a scratch topic, then drops it. */
    void warmUp(int keys, int payloadBytes, long count) {
        String topic = createDestination();
        try (RawProducer raw = new RawProducer(topic)) {
            raw.sendAll(Messages.of(topic, keys, payloadBytes), 0, count);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while warming Kafka up", e);
        } finally {
            dropDestination(topic);
        }
    }

    @Override
    public String serverVersion() {
        // The embedded broker runs from the same release as the client: its version file is the client's.
        try (var in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(10));
        kafka.close();
    }

    /** A plain idempotent acks=all producer with the adapter's settings. */
    private final class RawProducer implements Raw {
        private final String topic;
        private final KafkaProducer<byte[], byte[]> producer;

        RawProducer(String topic) {
            this.topic = topic;
            this.producer = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
            // Metadata and connections before anything is timed, as the relay's adapter has them after its warm-up.
            producer.partitionsFor(topic);
        }

        private ProducerRecord<byte[], byte[]> record(Messages m, long i) {
            RecordHeaders headers = new RecordHeaders();
            Side.envelopeHeaders(m, i).forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
            return new ProducerRecord<>(
                    topic, null, null, m.keyOf(i).getBytes(StandardCharsets.UTF_8), m.payload(i), headers);
        }

        @Override
        public long sendAll(Messages m, long first, long count) throws InterruptedException {
            CountDownLatch left = new CountDownLatch((int) count);
            AtomicLong lastAck = new AtomicLong();
            AtomicReference<Exception> failure = new AtomicReference<>();
            long start = System.nanoTime();
            for (long i = first; i < first + count; i++) {
                producer.send(record(m, i), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        lastAck.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                    left.countDown();
                });
            }
            if (!left.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("raw producer: acknowledgements missing after 10 minutes");
            }
            if (failure.get() != null) {
                throw new IllegalStateException("raw producer: a send failed", failure.get());
            }
            return lastAck.get() - start;
        }

        @Override
        public Histogram openLoop(Messages m, double rate, Duration warmup, Duration measure)
                throws InterruptedException {
            Histogram h = new ConcurrentHistogram(3);
            long interval = (long) (1e9 / rate);
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + measure.toNanos();
            for (long i = 0; ; i++) {
                long intended = start + i * interval;
                if (intended >= end) {
                    break;
                }
                long wait = intended - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                long sent = System.nanoTime();
                boolean record = sent >= measureFrom;
                producer.send(record(m, i), (md, e) -> {
                    if (e == null && record) {
                        h.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
                    }
                });
            }
            // flush returns once every record is settled, callbacks included.
            producer.flush();
            return h;
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
        }
    }
}
