package dev.outbox.broker.kafka.internal;

import dev.outbox.DeadLetterHeaders;
import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageHandler;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Kafka subscriber: one consumer (group = the subscription's name) on its own poll thread, and a pool of
 * {@code spec.concurrency()} worker threads that run the handler.
 *
 * <p>Records of one partition are handled one after the other, in offset order; partitions are handled in parallel, at
 * most {@code concurrency} at a time. Only the poll thread touches the consumer: workers report the next offset to
 * commit of their partition ({@code processed}), and the poll thread commits those, so an offset is committed only
 * once every record before it has been handled or dead-lettered. When a partition holds {@code maxBuffered} fetched
 * records it is paused, and resumed at half.
 *
 * <p>A handler failure is retried {@code spec.maxAttempts()} times with {@code spec.backoff()} between attempts, on the
 * same worker (the partition waits: that keeps its order); then the record goes to the dead-letter topic with its
 * headers and the error, and only then is it counted as processed. A record without a valid envelope is dead-lettered
 * at once. If the dead-letter topic cannot be written, the worker keeps trying with backoff and the partition does not
 * move: a record is never dropped silently.
 *
 * <p>On a rebalance, revoked partitions stop taking records; the handler in progress may finish, within the close
 * timeout, and what was processed is committed before the partitions go. {@link #close()} does the same for all
 * partitions and leaves the group. Thread-safe.
 */
public final class KafkaSubscription implements Subscription {
    private static final Logger log = LoggerFactory.getLogger(KafkaSubscription.class);

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration DEAD_LETTER_WAIT = Duration.ofSeconds(60);
    private static final int RECORDS_PER_TURN = 100;

    private final SubscriptionSpec spec;
    private final MessageHandler handler;
    private final Map<String, Object> consumerConfig;
    private final Supplier<Producer<byte[], byte[]>> producer;
    private final String deadLetterTopic;
    private final Duration closeTimeout;
    private final int maxBuffered;
    private final Runnable onClose;

    private final Set<Thread> workerThreads = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private final Thread poller;
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean abandoned;

    // Poll thread only.
    private KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, PartitionQueue> partitions = new HashMap<>();

    private KafkaSubscription(
            SubscriptionSpec spec,
            MessageHandler handler,
            Map<String, Object> consumerConfig,
            Supplier<Producer<byte[], byte[]>> producer,
            Duration closeTimeout,
            int maxBuffered,
            Runnable onClose) {
        this.spec = spec;
        this.handler = handler;
        this.consumerConfig = Map.copyOf(consumerConfig);
        this.producer = producer;
        this.deadLetterTopic = spec.deadLetterOrDefault();
        this.closeTimeout = closeTimeout;
        this.maxBuffered = maxBuffered;
        this.onClose = onClose;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(spec.concurrency(), r -> {
            Thread t = new Thread(
                    () -> {
                        workerThreads.add(Thread.currentThread());
                        r.run();
                    },
                    "outbox-kafka-" + spec.name() + "-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.poller = new Thread(this::run, "outbox-kafka-" + spec.name() + "-poll");
        this.poller.setDaemon(true);
    }

    /**
     * Creates the consumer and starts the subscription's threads.
     *
     * @param spec what to receive and how to treat failures
     * @param handler the consumer's code
     * @param consumerConfig the complete consumer configuration (group id, no auto commit)
     * @param producer gives the producer that writes dead letters
     * @param closeTimeout bound on waiting for handlers in progress on close and rebalance
     * @param maxBuffered fetched records per partition before it is paused
     * @param onClose run once when the subscription has stopped
     * @throws KafkaException if the consumer cannot be created (a bad property)
     */
    public static KafkaSubscription start(
            SubscriptionSpec spec,
            MessageHandler handler,
            Map<String, Object> consumerConfig,
            Supplier<Producer<byte[], byte[]>> producer,
            Duration closeTimeout,
            int maxBuffered,
            Runnable onClose) {
        KafkaSubscription s =
                new KafkaSubscription(spec, handler, consumerConfig, producer, closeTimeout, maxBuffered, onClose);
        s.consumer = new KafkaConsumer<>(s.consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        s.poller.start();
        return s;
    }

    @Override
    public SubscriptionSpec spec() {
        return spec;
    }

    /**
     * Stops taking records, lets the handlers in progress finish (at most the close timeout), commits what was
     * processed, leaves the group and stops the threads; idempotent. Called from a handler, it does not wait for
     * itself.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeSignal.countDown();
        consumer.wakeup();
        if (workerThreads.contains(Thread.currentThread())) {
            return;
        }
        try {
            poller.join(closeTimeout.multipliedBy(2).plusSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (poller.isAlive()) {
            log.warn("subscription {}: still stopping after {}", spec.name(), closeTimeout.multipliedBy(2));
        }
    }

    /**
     * Stops at once without committing anything more, as if the process had crashed: what was handled since the last
     * commit is delivered again to the next member of the group. For tests of redelivery.
     */
    public void abandon() {
        abandoned = true;
        close();
    }

    /** Whether the poll thread has finished. */
    public boolean isStopped() {
        return !poller.isAlive();
    }

    // --- poll thread -------------------------------------------------------------------------------------------------

    private void run() {
        int failures = 0;
        try {
            subscribe();
            while (closeSignal.getCount() > 0) {
                commitProcessed();
                applyBackpressure();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL);
                    failures = 0;
                } catch (WakeupException e) {
                    continue;
                } catch (InterruptException e) {
                    break;
                } catch (KafkaException e) {
                    failures++;
                    Duration delay = spec.backoff().delay(failures);
                    log.warn(
                            "subscription {}: poll failed ({} in a row), next in {} ms",
                            spec.name(),
                            failures,
                            delay.toMillis(),
                            e);
                    if (closeSignal.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
                        break;
                    }
                    continue;
                }
                for (TopicPartition tp : records.partitions()) {
                    PartitionQueue q = partitions.get(tp);
                    if (q != null) {
                        q.add(records.records(tp));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("subscription {} stopped by an unexpected error", spec.name(), e);
        } finally {
            shutdown();
        }
    }

    private void subscribe() {
        ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                for (TopicPartition tp : assigned) {
                    partitions.computeIfAbsent(tp, PartitionQueue::new);
                }
                log.debug("subscription {}: assigned {}", spec.name(), assigned);
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                release(revoked, true);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                // Someone else owns them already: committing would fail, and finishing is pointless.
                release(lost, false);
            }
        };
        boolean anyPattern = spec.patterns().stream().anyMatch(TopicPatterns::isPattern);
        if (anyPattern) {
            Pattern pattern = TopicPatterns.subscription(spec.patterns(), deadLetterTopic);
            consumer.subscribe(pattern, listener);
            log.info("subscription {} started on topics matching {}", spec.name(), pattern);
        } else {
            consumer.subscribe(spec.patterns(), listener);
            log.info("subscription {} started on {}", spec.name(), spec.patterns());
        }
    }

    /** Stops the partitions' work, waits for handlers in progress (bounded) and commits what they processed. */
    private void release(Collection<TopicPartition> tps, boolean commit) {
        List<PartitionQueue> released = new ArrayList<>();
        for (TopicPartition tp : tps) {
            PartitionQueue q = partitions.remove(tp);
            if (q != null) {
                q.stop();
                released.add(q);
            }
        }
        if (released.isEmpty()) {
            return;
        }
        if (!abandoned) {
            long deadline = System.nanoTime() + closeTimeout.toNanos();
            for (PartitionQueue q : released) {
                if (!q.awaitIdle(deadline)) {
                    log.warn(
                            "subscription {}: the handler of {} still runs after {}; its record will be delivered again",
                            spec.name(),
                            q.tp,
                            closeTimeout);
                }
            }
        }
        if (commit) {
            commitSync(released);
        }
        log.debug("subscription {}: released {}", spec.name(), tps);
    }

    private void commitProcessed() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionQueue q : partitions.values()) {
            long p = q.processed;
            if (p > q.requested) {
                offsets.put(q.tp, new OffsetAndMetadata(p));
            }
        }
        // Read after the offsets: a handler that abandons does so before its offset can be seen here.
        if (offsets.isEmpty() || abandoned) {
            return;
        }
        offsets.forEach((tp, o) -> partitions.get(tp).requested = o.offset());
        consumer.commitAsync(offsets, (done, error) -> {
            if (error != null) {
                log.debug("subscription {}: commit failed, will be tried again: {}", spec.name(), error.toString());
                done.forEach((tp, o) -> {
                    PartitionQueue q = partitions.get(tp);
                    if (q != null && q.requested == o.offset()) {
                        q.requested = -1;
                    }
                });
            }
        });
    }

    private void commitSync(Collection<PartitionQueue> queues) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionQueue q : queues) {
            long p = q.processed;
            if (p >= 0) {
                offsets.put(q.tp, new OffsetAndMetadata(p));
            }
        }
        if (offsets.isEmpty() || abandoned) {
            return;
        }
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                consumer.commitSync(offsets, closeTimeout);
                return;
            } catch (WakeupException e) {
                // close() woke the consumer; the commit is still wanted.
            } catch (KafkaException e) {
                log.warn(
                        "subscription {}: could not commit {}; those records will be delivered again",
                        spec.name(),
                        offsets,
                        e);
                return;
            }
        }
    }

    private void applyBackpressure() {
        Set<TopicPartition> paused = consumer.paused();
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        for (PartitionQueue q : partitions.values()) {
            int size = q.size();
            boolean isPaused = paused.contains(q.tp);
            if (!isPaused && size >= maxBuffered) {
                pause.add(q.tp);
            } else if (isPaused && size <= maxBuffered / 2) {
                resume.add(q.tp);
            }
        }
        if (!pause.isEmpty()) {
            consumer.pause(pause);
        }
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
    }

    private void shutdown() {
        try {
            release(List.copyOf(partitions.keySet()), true);
        } catch (RuntimeException e) {
            log.warn("subscription {}: releasing partitions failed", spec.name(), e);
        }
        try {
            consumer.close(CloseOptions.timeout(closeTimeout));
        } catch (RuntimeException e) {
            log.warn("subscription {}: closing the consumer failed", spec.name(), e);
        }
        workers.shutdownNow();
        try {
            if (!workers.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("subscription {}: handlers still running after close", spec.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            onClose.run();
        } finally {
            log.info("subscription {} stopped{}", spec.name(), abandoned ? " (abandoned, nothing committed)" : "");
        }
    }

    // --- workers -----------------------------------------------------------------------------------------------------

    /** The fetched, not yet handled records of one partition, handled by at most one worker at a time. */
    private final class PartitionQueue implements Runnable {
        final TopicPartition tp;
        final CountDownLatch stopSignal = new CountDownLatch(1);
        /** The offset to commit: one past the last record handled or dead-lettered; -1 before the first. */
        volatile long processed = -1;
        /** The offset last sent for commit (poll thread only). */
        long requested = -1;

        // Guarded by this.
        private final ArrayDeque<ConsumerRecord<byte[], byte[]>> queue = new ArrayDeque<>();
        private boolean scheduled;
        private boolean stopped;

        PartitionQueue(TopicPartition tp) {
            this.tp = tp;
        }

        void add(List<ConsumerRecord<byte[], byte[]>> records) {
            synchronized (this) {
                if (stopped) {
                    return;
                }
                queue.addAll(records);
                if (scheduled) {
                    return;
                }
                scheduled = true;
            }
            submit();
        }

        synchronized int size() {
            return queue.size();
        }

        void stop() {
            synchronized (this) {
                stopped = true;
                queue.clear();
            }
            stopSignal.countDown();
        }

        boolean stopped() {
            return stopSignal.getCount() == 0;
        }

        synchronized boolean awaitIdle(long deadlineNanos) {
            while (scheduled) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }

        private void submit() {
            try {
                workers.execute(this);
            } catch (RejectedExecutionException e) {
                idle();
            }
        }

        private synchronized void idle() {
            scheduled = false;
            notifyAll();
        }

        @Override
        public void run() {
            for (int n = 0; n < RECORDS_PER_TURN; n++) {
                ConsumerRecord<byte[], byte[]> r;
                synchronized (this) {
                    r = stopped ? null : queue.poll();
                    if (r == null) {
                        idle();
                        return;
                    }
                }
                if (!deliver(this, r)) {
                    idle();
                    return;
                }
                processed = r.offset() + 1;
            }
            // Give the other partitions' work a turn on this thread.
            submit();
        }
    }

    /**
     * Hands {@code record} to the handler until it succeeds, or dead-letters it.
     *
     * @return true when the record is done with (handled or dead-lettered), false when it was abandoned because its
     *     partition stopped
     */
    private boolean deliver(PartitionQueue q, ConsumerRecord<byte[], byte[]> record) {
        Envelope envelope;
        try {
            envelope = Envelope.fromHeaders(record.topic(), WireHeaders.fromKafka(record.headers()));
        } catch (InvalidMessageException e) {
            return deadLetter(q, record, 0, e);
        }
        byte[] payload = record.value() == null ? new byte[0] : record.value();
        for (int attempt = 1; ; attempt++) {
            try {
                handler.handle(new IncomingMessage(envelope, payload, attempt));
                return true;
            } catch (Throwable t) {
                if (t instanceof VirtualMachineError fatal) {
                    throw fatal;
                }
                if (q.stopped()) {
                    // Interrupted by a close or a rebalance: the record goes to whoever owns the partition next.
                    return false;
                }
                if (t instanceof FatalException || attempt >= spec.maxAttempts()) {
                    return deadLetter(q, record, attempt, t);
                }
                Duration delay = spec.backoff().delay(attempt);
                log.debug(
                        "subscription {}: message {} failed (attempt {} of {}), again in {} ms: {}",
                        spec.name(),
                        envelope.messageId(),
                        attempt,
                        spec.maxAttempts(),
                        delay.toMillis(),
                        t.toString());
                if (await(q.stopSignal, delay)) {
                    return false;
                }
            }
        }
    }

    private boolean deadLetter(PartitionQueue q, ConsumerRecord<byte[], byte[]> record, int attempts, Throwable error) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        // A letter dead-lettered again (from a subscription on a dead-letter topic) says why this time only.
        DeadLetterHeaders.ALL.forEach(headers::remove);
        headers.add(DeadLetterHeaders.ERROR, utf8(DeadLetterHeaders.error(error)));
        headers.add(DeadLetterHeaders.ERROR_CLASS, utf8(error.getClass().getName()));
        headers.add(DeadLetterHeaders.ATTEMPTS, utf8(Integer.toString(attempts)));
        headers.add(DeadLetterHeaders.SUBSCRIPTION, utf8(spec.name()));
        headers.add(DeadLetterHeaders.TOPIC, utf8(record.topic()));
        headers.add(DeadLetterHeaders.FAILED_AT, utf8(Instant.now().toString()));
        headers.add(DeadLetterHeaders.PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(DeadLetterHeaders.OFFSET, utf8(Long.toString(record.offset())));
        ProducerRecord<byte[], byte[]> letter =
                new ProducerRecord<>(deadLetterTopic, null, record.key(), record.value(), headers);
        for (int failures = 1; ; failures++) {
            if (q.stopped()) {
                return false;
            }
            try {
                producer.get().send(letter).get(DEAD_LETTER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                log.warn(
                        "subscription {}: record {}@{} dead-lettered to {} after {} attempts: {}",
                        spec.name(),
                        new TopicPartition(record.topic(), record.partition()),
                        record.offset(),
                        deadLetterTopic,
                        attempts,
                        error.toString());
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                Duration delay = spec.backoff().delay(failures);
                log.error(
                        "subscription {}: could not dead-letter record {}@{} to {} (try {}), again in {} ms",
                        spec.name(),
                        new TopicPartition(record.topic(), record.partition()),
                        record.offset(),
                        deadLetterTopic,
                        failures,
                        delay.toMillis(),
                        e);
                if (await(q.stopSignal, delay)) {
                    return false;
                }
            }
        }
    }

    /** Waits {@code delay} or until {@code stop} opens; true if it opened. */
    private static boolean await(CountDownLatch stop, Duration delay) {
        try {
            return stop.await(delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "KafkaSubscription[" + spec.name() + ", " + spec.patterns() + (closed.get() ? ", closed" : "") + "]";
    }
}
