package dev.outbox.broker.kafka;

import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.internal.ExactlyOncePublisher;
import dev.outbox.broker.kafka.internal.KafkaErrors;
import dev.outbox.broker.kafka.internal.KafkaSubscription;
import dev.outbox.broker.kafka.internal.KafkaTopicRules;
import dev.outbox.broker.kafka.internal.TopicPatterns;
import dev.outbox.broker.kafka.internal.TopicRegistry;
import dev.outbox.broker.kafka.internal.WireHeaders;
import dev.outbox.spi.Broker;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.TopicRules;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Broker} for Apache Kafka.
 *
 * <p><b>Publishing.</b> One idempotent producer with {@code acks=all} per broker. A message becomes a record whose topic
 * is the envelope's topic, whose key is the partition key (UTF-8), whose value is the payload and whose headers are the
 * envelope's ({@link Envelope#toHeaders()}: {@code message_id}, {@code source}, {@code type}, {@code content_type},
 * {@code created_at}, {@code partition_key} and the user's headers, {@code traceparent} included), UTF-8. A message
 * without a key goes to partition 0 of its topic, so keyless messages of a topic keep their order too. {@link
 * #publish} hands every record of the batch to the producer at once (many in flight, the producer's idempotence keeping
 * their order per partition) and returns without waiting; each future completes when Kafka has acknowledged its record,
 * or fails with:
 *
 * <ul>
 *   <li>{@link dev.outbox.FatalException} for a record larger than the producer's {@code max.request.size} or the
 *       topic's {@code max.message.bytes} (checked before sending, so that nothing overtakes it), an illegal topic name, an authorisation or authentication failure, a
 *       missing topic under {@link TopicPolicy#requireExisting()}, and other failures that retrying cannot cure;
 *   <li>{@link RetriableException} for timeouts, not enough in-sync replicas, network errors, Kafka being down, and
 *       anything not known to be fatal.
 * </ul>
 *
 * Within a batch, once a message of a (topic, key) has failed before reaching the producer, the later messages of that
 * (topic, key) are not sent (they fail retriably), so they never overtake it. Futures complete on the producer's I/O
 * thread: dependent stages must not block. There is no flush per batch: the call does not wait for Kafka, and {@code
 * linger.ms} (0 by default) bounds how long a record waits for company.
 *
 * <p><b>Topics.</b> The first time a topic is used, it is checked with the admin client and, by the {@link
 * TopicPolicy}, created or refused; then it is remembered.
 *
 * <p><b>Consuming.</b> {@link #subscribe} starts a consumer in the group named after the subscription, on its own
 * thread, with {@code spec.concurrency()} handler threads: records of a partition are handled in order, partitions in
 * parallel; offsets are committed only for records handled (or dead-lettered); a failing record is retried {@code
 * spec.maxAttempts()} times with {@code spec.backoff()}, then written to the dead-letter topic ({@code
 * spec.deadLetterOrDefault()}) with its headers and the {@link dev.outbox.DeadLetterHeaders} (among them the record's
 * partition and offset); a record without a valid envelope is dead-lettered at once. Patterns with {@code *} and {@code #} become a regular-expression
 * subscription (new matching topics are found on the consumer's metadata refresh, {@code metadata.max.age.ms}, 5 s by
 * default).
 *
 * <p><b>Lifecycle.</b> Nothing connects until the first publish or subscribe; {@link #close()} closes the
 * subscriptions, then flushes and closes the producer, each bounded by {@link KafkaBrokerSettings#closeTimeout()}.
 * Thread-safe.
 */
public final class KafkaBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

    /** The fixed part of a record batch of one record, in Kafka's current format: 61 bytes. */
    private static final int BATCH_OVERHEAD = 61;

    private final KafkaBrokerSettings settings;
    private final TopicRegistry topics;
    private final boolean uncompressed;
    private final Set<KafkaSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger consumerCount = new AtomicInteger();
    private final Object lock = new Object();

    // Guarded by lock.
    private Producer<byte[], byte[]> producer;
    private boolean closed;

    /** A producer that failed in a way that leaves it unusable; replaced on the next publish. */
    private volatile Producer<byte[], byte[]> brokenProducer;

    /** The exactly-once mode's transactions, or null when the broker publishes at least once. */
    private final ExactlyOncePublisher exactlyOnce;

    private KafkaBroker(KafkaBrokerSettings settings) {
        this.settings = settings;
        this.uncompressed = "none"
                .equals(String.valueOf(settings.producerConfig().getOrDefault("compression.type", "none"))
                        .trim()
                        .toLowerCase(java.util.Locale.ROOT));
        TopicPolicy policy = settings.topicPolicy();
        this.topics = new TopicRegistry(
                this::newAdmin,
                policy.createsMissing(),
                policy.partitions().isPresent()
                        ? Optional.of(policy.partitions().getAsInt())
                        : Optional.empty(),
                policy.replicationFactor(),
                settings.adminTimeout());
        this.exactlyOnce = settings.exactlyOnce()
                ? new ExactlyOncePublisher(
                        settings.clientId() + "-"
                                + java.util.UUID.randomUUID().toString().substring(0, 8),
                        settings.positionsTopic().orElseThrow(),
                        settings.claimsTopic().orElseThrow(),
                        id -> settings.transactionalProducerConfig(id, "tx-" + id),
                        settings::readerConfig,
                        this::producer,
                        this::newAdmin,
                        policy.replicationFactor(),
                        settings.transactionalProducers(),
                        settings.adminTimeout(),
                        settings.closeTimeout())
                : null;
    }

    /**
     * A broker with {@code settings}. Connects to nothing yet.
     *
     * @throws InvalidConfigurationException if {@code settings} is null
     */
    public static KafkaBroker create(KafkaBrokerSettings settings) {
        if (settings == null) {
            throw new InvalidConfigurationException("settings must not be null");
        }
        log.info("Kafka broker created: {}", settings);
        return new KafkaBroker(settings);
    }

    /** The settings it was created with. */
    public KafkaBrokerSettings settings() {
        return settings;
    }

    /**
     * Kafka's topic names: ASCII letters, digits, {@code .}, {@code _} and {@code -}, at most 249 characters, neither
     * {@code .} nor {@code ..}. The outbox refuses other topics at append.
     */
    @Override
    public TopicRules topicRules() {
        return KafkaTopicRules.INSTANCE;
    }

    // --- publishing --------------------------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>After {@link #close()}, every future fails with a {@link RetriableException}.
     *
     * @throws NullPointerException if {@code messages} or one of them is null
     */
    @Override
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        List<OutgoingMessage> batch = List.copyOf(messages);
        List<CompletableFuture<Void>> results = new ArrayList<>(batch.size());
        if (batch.isEmpty()) {
            return results;
        }
        if (exactlyOnce != null) {
            return publishTransactional(batch);
        }
        Producer<byte[], byte[]> p;
        try {
            p = producer();
        } catch (IllegalStateException e) {
            return failAll(batch, new RetriableException("the Kafka broker is closed", e));
        } catch (KafkaException e) {
            return failAll(batch, KafkaErrors.classify(e, "could not create the Kafka producer", false));
        }
        Set<String> batchTopics = new LinkedHashSet<>();
        batch.forEach(m -> batchTopics.add(m.envelope().topic()));
        Map<String, OutboxException> topicFailures = new HashMap<>(topics.ensure(batchTopics));
        Map<TopicKey, OutboxException> failedKeys = new HashMap<>();
        Set<String> limitsReread = new HashSet<>();
        boolean missingIsFatal = !topics.createsMissing();

        OutboxException unreachable = null;
        for (OutgoingMessage m : batch) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            results.add(f);
            Envelope e = m.envelope();
            String what = "message " + e.messageId() + " to topic " + e.topic();
            if (unreachable != null) {
                f.completeExceptionally(new RetriableException(
                        what + " not sent: Kafka did not answer for an earlier message of this batch: "
                                + unreachable.getMessage(),
                        unreachable));
                continue;
            }
            OutboxException topicFailure = topicFailures.get(e.topic());
            if (topicFailure != null) {
                f.completeExceptionally(topicFailure);
                continue;
            }
            TopicKey key = new TopicKey(e.topic(), e.key());
            OutboxException earlier = failedKeys.get(key);
            if (earlier != null) {
                f.completeExceptionally(new RetriableException(
                        what + " not sent: an earlier message with its key failed in this batch: "
                                + earlier.getMessage(),
                        earlier));
                continue;
            }
            ProducerRecord<byte[], byte[]> record = record(m);
            OutboxException tooLarge = overTopicLimit(record, what, limitsReread);
            if (tooLarge != null) {
                f.completeExceptionally(tooLarge);
                failedKeys.put(key, tooLarge);
                continue;
            }
            try {
                p.send(record, (metadata, error) -> complete(f, error, what, e.topic(), p, missingIsFatal));
            } catch (RuntimeException error) {
                noteFailure(p, error);
                f.completeExceptionally(KafkaErrors.classify(error, what, missingIsFatal));
            }
            // The producer reports some failures from within send, before it returns: a record too large, or no
            // metadata for the topic within max.block.ms.
            if (f.isCompletedExceptionally()) {
                OutboxException failure = failure(f);
                failedKeys.put(key, failure);
                if (failure.getCause() instanceof TimeoutException) {
                    // Kafka is unreachable: every later send would block as long again.
                    unreachable = failure;
                }
            }
        }
        return results;
    }

    private record TopicKey(String topic, String key) {}

    /**
     * The exactly-once mode: the records that pass the checks go into one transaction, on this thread. A message refused
     * before it is sent fails, and so does every later message of its lane (retriably): nothing later in a lane is
     * committed ahead of a failed message.
     */
    private List<CompletableFuture<Void>> publishTransactional(List<OutgoingMessage> batch) {
        List<CompletableFuture<Void>> results = new ArrayList<>(batch.size());
        Set<String> batchTopics = new LinkedHashSet<>();
        batch.forEach(m -> batchTopics.add(m.envelope().topic()));
        Map<String, OutboxException> topicFailures;
        try {
            topicFailures = new HashMap<>(topics.ensure(batchTopics));
        } catch (IllegalStateException e) {
            return failAll(batch, new RetriableException("the Kafka broker is closed", e));
        }
        Map<Integer, OutboxException> failedLanes = new HashMap<>();
        Set<String> limitsReread = new HashSet<>();
        List<ExactlyOncePublisher.Entry> entries = new ArrayList<>();
        for (OutgoingMessage m : batch) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            results.add(f);
            Envelope e = m.envelope();
            String what = "message " + e.messageId() + " to topic " + e.topic();
            OutboxException earlier = failedLanes.get(m.lane());
            if (earlier != null) {
                f.completeExceptionally(new RetriableException(
                        what + " not sent: an earlier message of its lane failed in this batch: "
                                + earlier.getMessage(),
                        earlier));
                continue;
            }
            OutboxException failure = topicFailures.get(e.topic());
            ProducerRecord<byte[], byte[]> record = null;
            if (failure == null) {
                record = record(m);
                failure = overTopicLimit(record, what, limitsReread);
            }
            if (failure != null) {
                f.completeExceptionally(failure);
                failedLanes.put(m.lane(), failure);
                continue;
            }
            entries.add(new ExactlyOncePublisher.Entry(m, record, f, what));
        }
        exactlyOnce.publishLater(entries);
        return results;
    }

    /**
     * {@inheritDoc}
     *
     * <p>True with {@link KafkaBrokerSettings.Builder#exactlyOnce()}.
     */
    @Override
    public boolean transactional() {
        return exactlyOnce != null;
    }

    /**
     * {@inheritDoc}
     *
     * <p>In the exactly-once mode: records the claims in the claims topic, fences the transactional producers of the
     * lanes' earlier claimants ({@code Admin.fenceProducers}), and returns the ids the positions topic records for each
     * lane under a lower epoch. Otherwise nothing is known.
     *
     * @throws RetriableException when Kafka does not answer within the admin timeout, or a lane was claimed since under a
     *     higher epoch
     */
    @Override
    public Map<Integer, Set<MessageId>> takeOver(Collection<LaneClaim> lanes) {
        if (exactlyOnce == null) {
            return Map.of();
        }
        synchronized (lock) {
            if (closed) {
                throw new RetriableException("the Kafka broker is closed", null);
            }
        }
        return exactlyOnce.takeOver(List.copyOf(lanes));
    }

    /**
     * Refuses, before it is sent, a record that cannot fit the topic's {@code max.message.bytes}: Kafka would refuse
     * it too, but only after the records behind it (of the same key, in later batches) may have been written, so
     * they would overtake it. Counted from below (a batch's fixed overhead, key, value and headers), so a record
     * refused here is certainly too large; one close to the limit is left to Kafka. Skipped with compression, which
     * can make a large record fit. The limit remembered may predate a change (an operator raised it to let a refused
     * record through, and restarted its lane): it is read again, once per topic and batch, before a record is refused.
     */
    private OutboxException overTopicLimit(
            ProducerRecord<byte[], byte[]> record, String what, Set<String> limitsReread) {
        OptionalInt limit = topics.maxMessageBytes(record.topic());
        if (!uncompressed || limit.isEmpty()) {
            return null;
        }
        long least = BATCH_OVERHEAD
                + (record.key() == null ? 0 : record.key().length)
                + (record.value() == null ? 0 : record.value().length);
        for (Header h : record.headers()) {
            least += h.key().getBytes(StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
        }
        if (least <= limit.getAsInt()) {
            return null;
        }
        if (limitsReread.add(record.topic())) {
            limit = topics.rereadMaxMessageBytes(record.topic());
            if (limit.isEmpty() || least <= limit.getAsInt()) {
                return null;
            }
        }
        String why = "the record takes at least " + least + " bytes, more than the max.message.bytes ("
                + limit.getAsInt() + ") of topic " + record.topic();
        return new FatalException(what + ": RecordTooLargeException: " + why, new RecordTooLargeException(why));
    }

    private static ProducerRecord<byte[], byte[]> record(OutgoingMessage m) {
        Envelope e = m.envelope();
        byte[] key = e.key() == null ? null : e.key().getBytes(StandardCharsets.UTF_8);
        // The producer's clock stamps the record: a created_at days old (a lane stopped for a while) would otherwise
        // count against the topic's retention. created_at travels as a header.
        Integer partition = e.key() == null ? 0 : null;
        return new ProducerRecord<>(e.topic(), partition, null, key, m.payload(), WireHeaders.toKafka(e.toHeaders()));
    }

    private void complete(
            CompletableFuture<Void> f,
            Exception error,
            String what,
            String topic,
            Producer<byte[], byte[]> p,
            boolean missingIsFatal) {
        if (error == null) {
            f.complete(null);
            return;
        }
        if (error instanceof UnknownTopicOrPartitionException) {
            topics.forget(topic);
        }
        noteFailure(p, error);
        f.completeExceptionally(KafkaErrors.classify(error, what, missingIsFatal));
    }

    /** Marks the producer for replacement after a failure that leaves it unusable (a fatal state of idempotence). */
    private void noteFailure(Producer<byte[], byte[]> p, Throwable error) {
        if (error instanceof ProducerFencedException
                || error instanceof OutOfOrderSequenceException
                || error instanceof UnknownProducerIdException
                || error instanceof InvalidProducerEpochException
                || error instanceof AuthenticationException
                || error instanceof AuthorizationException
                || error instanceof IllegalStateException) {
            brokenProducer = p;
        }
    }

    private static List<CompletableFuture<Void>> failAll(List<OutgoingMessage> batch, OutboxException error) {
        List<CompletableFuture<Void>> results = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            results.add(CompletableFuture.failedFuture(error));
        }
        return results;
    }

    private static OutboxException failure(CompletableFuture<Void> f) {
        try {
            f.join();
            throw new IllegalStateException("future did not fail");
        } catch (CompletionException e) {
            return (OutboxException) e.getCause();
        }
    }

    private Producer<byte[], byte[]> producer() {
        Producer<byte[], byte[]> old = null;
        Producer<byte[], byte[]> current;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the Kafka broker is closed");
            }
            if (producer != null && producer == brokenProducer) {
                old = producer;
                producer = null;
                log.warn("replacing the Kafka producer after a failure that left it unusable");
            }
            if (producer == null) {
                producer = new KafkaProducer<>(
                        settings.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
            }
            current = producer;
        }
        if (old != null) {
            old.close(Duration.ZERO);
        }
        return current;
    }

    /**
     * A new admin client, for one topic check. Admin clients are not kept: topic checks are rare, and an idle admin
     * client keeps reconnecting (and logging) while Kafka is unreachable.
     */
    private Admin newAdmin() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the Kafka broker is closed");
            }
        }
        return Admin.create(settings.adminConfig());
    }

    // --- consuming ---------------------------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Before it returns, the dead-letter topic is checked (and created, under {@link TopicPolicy#createMissing}), as
     * are the topics named without wildcards under {@code createMissing}. A subscription with a new name starts at the
     * oldest retained record ({@code auto.offset.reset=earliest}, unless overridden).
     *
     * @throws InvalidConfigurationException if an argument is null, a topic or pattern is not legal for Kafka, the
     *     subscription would read its own dead-letter topic, the dead-letter topic is missing under {@link
     *     TopicPolicy#requireExisting()}, or a consumer property is bad
     * @throws RetriableException if Kafka did not answer the topic check within the admin timeout
     * @throws IllegalStateException if the broker is closed
     */
    @Override
    public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        if (spec == null) {
            throw new InvalidConfigurationException("spec must not be null");
        }
        if (handler == null) {
            throw new InvalidConfigurationException("handler must not be null");
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the Kafka broker is closed");
            }
        }
        String deadLetter = spec.deadLetterOrDefault();
        TopicPatterns.invalidTopic(deadLetter).ifPresent(why -> {
            throw new InvalidConfigurationException("dead-letter topic of subscription " + spec.name() + ": " + why);
        });
        List<String> named = new ArrayList<>();
        for (String p : spec.patterns()) {
            if (TopicPatterns.isPattern(p)) {
                TopicPatterns.toRegex(p);
                continue;
            }
            TopicPatterns.invalidTopic(p).ifPresent(why -> {
                throw new InvalidConfigurationException("subscription " + spec.name() + ": " + why);
            });
            if (p.equals(deadLetter)) {
                throw new InvalidConfigurationException(
                        "subscription " + spec.name() + " would read its own dead-letter topic " + p);
            }
            named.add(p);
        }
        requireTopics(spec, List.of(deadLetter), "dead-letter topic");
        if (topics.createsMissing()) {
            requireTopics(spec, named, "topic");
        }
        AtomicReference<KafkaSubscription> self = new AtomicReference<>();
        KafkaSubscription s;
        try {
            s = KafkaSubscription.start(
                    spec,
                    handler,
                    settings.consumerConfig(spec.name(), spec.name() + "-" + consumerCount.incrementAndGet()),
                    this::producer,
                    settings.closeTimeout(),
                    settings.maxBufferedPerPartition(),
                    () -> subscriptions.remove(self.get()));
        } catch (KafkaException e) {
            throw new InvalidConfigurationException(
                    "could not create the Kafka consumer of subscription " + spec.name() + ": " + e.getMessage(), e);
        }
        self.set(s);
        subscriptions.add(s);
        return s;
    }

    private void requireTopics(SubscriptionSpec spec, List<String> names, String what) {
        Map<String, OutboxException> failures = topics.ensure(names);
        for (String t : names) {
            OutboxException failure = failures.get(t);
            if (failure == null) {
                continue;
            }
            if (failure.isRetriable()) {
                throw new RetriableException(
                        "subscription " + spec.name() + ": " + what + " " + t + " could not be checked: "
                                + failure.getMessage(),
                        failure);
            }
            throw new InvalidConfigurationException(
                    "subscription " + spec.name() + ": " + what + " " + t + " cannot be used: " + failure.getMessage(),
                    failure);
        }
    }

    /** {@code kafka}. */
    @Override
    public String messagingSystem() {
        return "kafka";
    }

    // --- lifecycle ---------------------------------------------------------------------------------------------------

    /**
     * Closes the subscriptions (each waits for its handlers in progress, bounded), then flushes and closes the
     * producer within {@link KafkaBrokerSettings#closeTimeout()}; idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (KafkaSubscription s : List.copyOf(subscriptions)) {
            try {
                s.close();
            } catch (RuntimeException e) {
                log.warn("closing {} failed", s, e);
            }
        }
        if (exactlyOnce != null) {
            exactlyOnce.close();
        }
        Producer<byte[], byte[]> p;
        synchronized (lock) {
            p = producer;
            producer = null;
        }
        if (p != null) {
            try {
                p.close(settings.closeTimeout());
            } catch (RuntimeException e) {
                log.warn("closing the Kafka producer failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + settings.bootstrapServers() + "]";
    }
}
