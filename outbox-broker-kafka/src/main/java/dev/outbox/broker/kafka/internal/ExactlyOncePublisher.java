package dev.outbox.broker.kafka.internal;

import dev.outbox.MessageId;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.spi.LaneClaim;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once mode of the Kafka broker: each batch is one Kafka transaction that also records, per lane, the ids
 * it delivered; lanes are claimed in a claims topic so that a new owner knows whom to fence. The protocol is written out
 * in {@code docs/exactly-once.md}; in short:
 *
 * <ol>
 *   <li><b>Claim.</b> The new owner appends a claim (lane, epoch, its producers' names) to the claims topic (one
 *       partition, no transactions) and reads the topic up to its own claim. A claim of the lane with a higher epoch
 *       means its own claim is stale: it gives up (retriably).
 *   <li><b>Fence.</b> It fences ({@code Admin.fenceProducers}) the transactional producers of every earlier claimant
 *       since the last claim known to be fenced, and appends a "done" claim.
 *   <li><b>Read positions.</b> It reads the positions topic ({@code read_committed}) to its end and returns, per lane,
 *       the ids recorded there under a lower epoch: delivered, maybe not deleted.
 *   <li><b>Publish.</b> A transactional producer, once initialised, first reads the claims topic up to where it was
 *       when it was initialised; before each transaction every lane of the batch must still be held here under an
 *       epoch no claim has passed. A producer initialised before a later claim is fenced by that claimant; one
 *       initialised after sees the claim. So a relay that lost a lane cannot commit into it.
 * </ol>
 *
 * Thread-safe: publishes run on the callers' threads, each holding one producer slot.
 */
public final class ExactlyOncePublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExactlyOncePublisher.class);
    private static final int TRANSACTION_ATTEMPTS = 3;

    /** One record of a batch, with its future. */
    public record Entry(
            OutgoingMessage message,
            ProducerRecord<byte[], byte[]> record,
            CompletableFuture<Void> result,
            String what) {
        int lane() {
            return message.lane();
        }

        long id() {
            return message.envelope().messageId().value();
        }
    }

    /** A claim of a lane as the claims topic records it. */
    record Claim(long offset, int lane, long epoch, String owner, int producers, boolean done) {}

    /** The ids of the last batch committed in a lane, and the epoch it was committed under. */
    record Position(long epoch, Set<Long> ids) {}

    private final class Slot {
        final int index;
        final String transactionalId;
        final ReentrantLock lock = new ReentrantLock();
        // Guarded by lock.
        Producer<byte[], byte[]> producer;
        long claimsEndAtInit;
        /** Incremented each time the producer is initialised: a settled transactional id needs no fence. */
        volatile long generation;

        Slot(int index) {
            this.index = index;
            this.transactionalId = owner + "-" + index;
        }
    }

    /** A lane whose last commit may or may not have happened: settled before the lane is published again. */
    private record Unsettled(Slot slot, long generation) {}

    private final String owner;
    private final String positionsTopic;
    private final String claimsTopic;
    private final Function<String, Map<String, Object>> producerConfig;
    private final BiFunction<String, Boolean, Map<String, Object>> readerConfig;
    private final Supplier<Producer<byte[], byte[]>> plainProducer;
    private final Supplier<Admin> admin;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;
    private final Duration closeTimeout;
    private final Slot[] slots;
    private final Semaphore free;
    /** Runs the transactions, one thread per producer, so that a publish does not hold its caller. */
    private final ExecutorService transactions;

    private final Map<Integer, Long> held = new ConcurrentHashMap<>();
    private final Map<Integer, Unsettled> unsettled = new ConcurrentHashMap<>();
    private volatile boolean topicsReady;
    private volatile boolean closed;

    private final Object claimsLock = new Object();
    // Guarded by claimsLock.
    private Consumer<byte[], byte[]> claimsReader;
    private final Map<Integer, List<Claim>> claims = new HashMap<>();
    private long claimsRead;

    private final Object positionsLock = new Object();
    // Guarded by positionsLock.
    private Consumer<byte[], byte[]> positionsReader;
    private final Map<Integer, Position> positions = new HashMap<>();

    /**
     * @param owner this broker's name among claimants: unique per broker instance, the prefix of its transactional ids
     * @param producerConfig a transactional producer's configuration for a transactional id
     * @param readerConfig a group-less consumer's configuration for a client id suffix, read_committed or not
     * @param plainProducer the broker's idempotent producer, for claims
     * @param admin a new admin client, closed after use
     * @param producers how many transactional producers at most
     * @param timeout the bound on each step of a take-over and on waiting for a producer
     */
    public ExactlyOncePublisher(
            String owner,
            String positionsTopic,
            String claimsTopic,
            Function<String, Map<String, Object>> producerConfig,
            BiFunction<String, Boolean, Map<String, Object>> readerConfig,
            Supplier<Producer<byte[], byte[]>> plainProducer,
            Supplier<Admin> admin,
            Optional<Short> replicationFactor,
            int producers,
            Duration timeout,
            Duration closeTimeout) {
        this.owner = owner;
        this.positionsTopic = positionsTopic;
        this.claimsTopic = claimsTopic;
        this.producerConfig = producerConfig;
        this.readerConfig = readerConfig;
        this.plainProducer = plainProducer;
        this.admin = admin;
        this.replicationFactor = replicationFactor;
        this.timeout = timeout;
        this.closeTimeout = closeTimeout;
        this.slots = new Slot[producers];
        for (int i = 0; i < producers; i++) {
            slots[i] = new Slot(i);
        }
        this.free = new Semaphore(producers, true);
        AtomicInteger threads = new AtomicInteger();
        this.transactions = Executors.newFixedThreadPool(producers, r -> {
            Thread t = new Thread(r, "outbox-kafka-transactions-" + owner + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** This broker's name among claimants. */
    public String owner() {
        return owner;
    }

    // --- take-over ---------------------------------------------------------------------------------------------------

    /**
     * Claims {@code lanes}, fences whoever could still commit into them, and returns the ids their previous owners
     * committed last (under a lower epoch).
     *
     * @throws RetriableException when Kafka does not answer in time, or a claim of a higher epoch exists
     */
    public Map<Integer, Set<MessageId>> takeOver(Collection<LaneClaim> lanes) {
        if (lanes.isEmpty()) {
            return Map.of();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            ensureTopics();
            // 1. Claim: appended to the one partition of the claims topic, which orders every claim of every lane.
            Producer<byte[], byte[]> p = plainProducer.get();
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (LaneClaim c : lanes) {
                sent.add(p.send(claimRecord(c.lane(), c.epoch(), false)));
            }
            long last = -1;
            for (Future<RecordMetadata> f : sent) {
                last = Math.max(
                        last, f.get(remaining(deadline), TimeUnit.NANOSECONDS).offset());
            }
            // 2. Read every claim up to ours; a higher epoch means ours is stale.
            Set<String> toFence = new LinkedHashSet<>();
            Map<String, Integer> producersOf = new HashMap<>();
            synchronized (claimsLock) {
                readClaimsTo(last + 1, deadline);
                for (LaneClaim c : lanes) {
                    List<Claim> history = claims.getOrDefault(c.lane(), List.of());
                    for (Claim k : history) {
                        if (k.epoch() > c.epoch()) {
                            throw new RetriableException(
                                    "lane " + c.lane() + " was claimed under epoch " + k.epoch() + " by " + k.owner()
                                            + ", after this relay's claim under epoch " + c.epoch(),
                                    null);
                        }
                    }
                    for (Claim k : candidates(history, c.epoch())) {
                        if (!k.owner().equals(owner)) {
                            toFence.add(k.owner());
                            producersOf.merge(k.owner(), k.producers(), Math::max);
                        }
                    }
                }
            }
            // 3. Fence: an open transaction of an earlier claimant is aborted and its producers can commit no more.
            if (!toFence.isEmpty()) {
                List<String> ids = new ArrayList<>();
                for (String o : toFence) {
                    for (int i = 0; i < producersOf.get(o); i++) {
                        ids.add(o + "-" + i);
                    }
                }
                try (Admin a = admin.get()) {
                    a.fenceProducers(ids).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
                }
                log.info("fenced the transactional producers of {} before taking lanes over", toFence);
            }
            for (LaneClaim c : lanes) {
                p.send(claimRecord(c.lane(), c.epoch(), true));
            }
            // 4. Positions: what the fenced owners committed last, now final.
            Map<Integer, Set<MessageId>> delivered = new HashMap<>();
            synchronized (positionsLock) {
                readPositionsToEnd(deadline);
                for (LaneClaim c : lanes) {
                    Position pos = positions.get(c.lane());
                    if (pos != null && pos.epoch() < c.epoch() && !pos.ids().isEmpty()) {
                        Set<MessageId> ids = new HashSet<>();
                        pos.ids().forEach(id -> ids.add(new MessageId(id)));
                        delivered.put(c.lane(), Set.copyOf(ids));
                    }
                }
            }
            for (LaneClaim c : lanes) {
                held.merge(c.lane(), c.epoch(), Math::max);
            }
            return delivered;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while taking lanes over", e);
        } catch (ExecutionException e) {
            throw KafkaErrors.classify(e.getCause(), "could not take lanes over", false);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new RetriableException("Kafka did not answer in time while taking lanes over", e);
        } catch (OutboxException e) {
            throw e;
        } catch (RuntimeException e) {
            throw KafkaErrors.classify(e, "could not take lanes over", false);
        }
    }

    /**
     * The claims of a lane below {@code epoch} whose owners may still commit into it: every claim from the latest one
     * whose owner recorded that it had fenced its predecessors (that owner included).
     */
    static List<Claim> candidates(List<Claim> history, long epoch) {
        long fencedUpTo = -1;
        for (Claim k : history) {
            if (k.done() && k.epoch() < epoch) {
                fencedUpTo = Math.max(fencedUpTo, k.epoch());
            }
        }
        List<Claim> result = new ArrayList<>();
        for (Claim k : history) {
            if (k.epoch() < epoch && k.epoch() >= fencedUpTo) {
                result.add(k);
            }
        }
        return result;
    }

    /**
     * A claim, keyed by lane and epoch so that compaction keeps every claim (the "done" record of a claim replaces its
     * first record, and says the same and more).
     */
    private ProducerRecord<byte[], byte[]> claimRecord(int lane, long epoch, boolean done) {
        String value =
                "lane=" + lane + " e=" + epoch + " owner=" + owner + " n=" + slots.length + " done=" + (done ? 1 : 0);
        return new ProducerRecord<>(
                claimsTopic,
                0,
                (lane + ":" + epoch).getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    static Optional<Claim> parseClaim(long offset, byte[] value) {
        try {
            Map<String, String> f = fields(new String(value, StandardCharsets.UTF_8));
            String owner = f.get("owner");
            if (owner == null || owner.isEmpty()) {
                throw new IllegalArgumentException("no owner");
            }
            return Optional.of(new Claim(
                    offset,
                    Integer.parseInt(f.get("lane")),
                    Long.parseLong(f.get("e")),
                    owner,
                    Integer.parseInt(f.get("n")),
                    "1".equals(f.get("done"))));
        } catch (RuntimeException e) {
            log.warn("ignoring a record of the claims topic that is not a claim, at offset {}", offset);
            return Optional.empty();
        }
    }

    static Optional<Position> parsePosition(byte[] value) {
        try {
            Map<String, String> f = fields(new String(value, StandardCharsets.UTF_8));
            Set<Long> ids = new HashSet<>();
            String list = f.getOrDefault("ids", "");
            if (!list.isEmpty()) {
                for (String id : list.split(",", -1)) {
                    ids.add(Long.parseLong(id));
                }
            }
            return Optional.of(new Position(Long.parseLong(f.get("e")), Set.copyOf(ids)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static String positionValue(long epoch, List<Long> ids) {
        StringBuilder b = new StringBuilder("e=").append(epoch).append(" ids=");
        for (int i = 0; i < ids.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(ids.get(i));
        }
        return b.toString();
    }

    private static Map<String, String> fields(String s) {
        Map<String, String> f = new HashMap<>();
        for (String part : s.trim().split(" ")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                f.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return f;
    }

    // Guarded by claimsLock.
    private void readClaimsTo(long target, long deadline) {
        TopicPartition tp = new TopicPartition(claimsTopic, 0);
        if (claimsReader == null) {
            claimsReader = new KafkaConsumer<>(
                    readerConfig.apply("claims", false), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            claimsReader.assign(List.of(tp));
            claimsReader.seekToBeginning(List.of(tp));
        }
        while (claimsRead < target) {
            if (System.nanoTime() - deadline >= 0) {
                throw new RetriableException(
                        "could not read the claims topic " + claimsTopic + " up to offset " + target + " in time",
                        null);
            }
            for (ConsumerRecord<byte[], byte[]> r : claimsReader.poll(Duration.ofMillis(100))) {
                parseClaim(r.offset(), r.value())
                        .ifPresent(c -> claims.computeIfAbsent(c.lane(), l -> new ArrayList<>())
                                .add(c));
            }
            claimsRead = claimsReader.position(tp, Duration.ofNanos(remaining(deadline)));
        }
    }

    // Guarded by claimsLock.
    private long claimsEnd(long deadline) {
        TopicPartition tp = new TopicPartition(claimsTopic, 0);
        if (claimsReader == null) {
            readClaimsTo(0, deadline);
        }
        return claimsReader
                .endOffsets(List.of(tp), Duration.ofNanos(remaining(deadline)))
                .get(tp);
    }

    // Guarded by positionsLock.
    private void readPositionsToEnd(long deadline) {
        TopicPartition tp = new TopicPartition(positionsTopic, 0);
        if (positionsReader == null) {
            positionsReader = new KafkaConsumer<>(
                    readerConfig.apply("positions", true), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            positionsReader.assign(List.of(tp));
            positionsReader.seekToBeginning(List.of(tp));
        }
        // Under read_committed, the end is the last stable offset: past every transaction that is now settled.
        long end = positionsReader
                .endOffsets(List.of(tp), Duration.ofNanos(remaining(deadline)))
                .get(tp);
        while (positionsReader.position(tp, Duration.ofNanos(remaining(deadline))) < end) {
            if (System.nanoTime() - deadline >= 0) {
                throw new RetriableException(
                        "could not read the positions topic " + positionsTopic + " up to offset " + end + " in time",
                        null);
            }
            for (ConsumerRecord<byte[], byte[]> r : positionsReader.poll(Duration.ofMillis(100))) {
                try {
                    int lane = Integer.parseInt(new String(r.key(), StandardCharsets.UTF_8));
                    if (r.value() == null) {
                        positions.remove(lane);
                    } else {
                        parsePosition(r.value()).ifPresent(p -> positions.put(lane, p));
                    }
                } catch (RuntimeException e) {
                    log.warn(
                            "ignoring a record of the positions topic that is not a position, at offset {}",
                            r.offset());
                }
            }
        }
    }

    private void ensureTopics() throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        if (topicsReady) {
            return;
        }
        try (Admin a = admin.get()) {
            Set<String> existing = a.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            if (!existing.contains(positionsTopic)) {
                missing.add(new NewTopic(positionsTopic, Optional.of(1), replicationFactor)
                        .configs(Map.of("cleanup.policy", "compact", "segment.ms", "600000")));
            }
            if (!existing.contains(claimsTopic)) {
                // Compacted on keys that never repeat but for a claim's own "done": every claim is kept for good, so
                // that a lane held longer than any retention still names its holder.
                missing.add(new NewTopic(claimsTopic, Optional.of(1), replicationFactor)
                        .configs(Map.of("cleanup.policy", "compact")));
            }
            for (NewTopic t : missing) {
                try {
                    a.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    log.info("created Kafka topic {} for the exactly-once mode", t.name());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
        topicsReady = true;
    }

    // --- publishing --------------------------------------------------------------------------------------------------

    /**
     * Publishes {@code entries} (in batch order, already checked one by one) in one transaction, with a position record
     * per lane, on one of the publisher's threads; each entry's future completes when the transaction is committed or
     * given up. Returns at once.
     */
    public void publishLater(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        try {
            transactions.execute(() -> publish(entries));
        } catch (RejectedExecutionException e) {
            failAll(entries, new RetriableException("the Kafka broker is closed", e));
        }
    }

    /**
     * Publishes {@code entries} in one transaction, with a position record per lane, and completes each entry's future.
     * Blocks until the transaction is committed or given up.
     */
    void publish(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (closed) {
            failAll(entries, new RetriableException("the Kafka broker is closed", null));
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Slot slot;
        try {
            slot = borrow(deadline);
        } catch (RetriableException e) {
            failAll(entries, e);
            return;
        }
        try {
            List<Entry> pending = new ArrayList<>(entries);
            for (int attempt = 1; attempt <= TRANSACTION_ATTEMPTS && !pending.isEmpty(); attempt++) {
                pending = transaction(slot, pending);
            }
            failAll(
                    pending,
                    new RetriableException("the transaction failed " + TRANSACTION_ATTEMPTS + " times in a row", null));
        } finally {
            slot.lock.unlock();
            free.release();
        }
    }

    private Slot borrow(long deadline) {
        try {
            if (!free.tryAcquire(remaining(deadline), TimeUnit.NANOSECONDS)) {
                throw new RetriableException("no transactional producer became free in time", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("interrupted while waiting for a transactional producer", e);
        }
        for (Slot s : slots) {
            if (s.lock.tryLock()) {
                return s;
            }
        }
        free.release();
        throw new IllegalStateException("a free permit without a free producer");
    }

    /**
     * One transaction over {@code entries}; completes what it settles and returns what may be tried again in a new
     * transaction (empty when everything is settled).
     */
    private List<Entry> transaction(Slot slot, List<Entry> entries) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Entry> batch;
        try {
            batch = settleAndCheck(slot, entries, deadline);
        } catch (OutboxException e) {
            failAll(entries, e);
            return List.of();
        } catch (RuntimeException e) {
            dropProducer(slot);
            failAll(entries, KafkaErrors.classify(e, "could not prepare a Kafka transaction", false));
            return List.of();
        }
        if (batch.isEmpty()) {
            return List.of();
        }
        Producer<byte[], byte[]> p = slot.producer;
        Map<Entry, Exception> recordErrors = new ConcurrentHashMap<>();
        // The records the producer refused inside their own send() (too large, not serialisable): the causes of a
        // failure, when there are any. The producer then fails records sent before them with the same error, or as
        // aborted, and those are not at fault.
        Set<Entry> refusedOnSend = ConcurrentHashMap.newKeySet();
        Thread caller = Thread.currentThread();
        Entry[] sending = new Entry[1];
        boolean begun = false;
        try {
            p.beginTransaction();
            begun = true;
            Map<Integer, List<Long>> idsByLane = new LinkedHashMap<>();
            for (Entry e : batch) {
                idsByLane.computeIfAbsent(e.lane(), l -> new ArrayList<>()).add(e.id());
                sending[0] = e;
                p.send(e.record(), (metadata, error) -> {
                    if (error != null) {
                        recordErrors.put(e, error);
                        if (Thread.currentThread() == caller && sending[0] == e) {
                            refusedOnSend.add(e);
                        }
                    }
                });
                sending[0] = null;
            }
            for (Map.Entry<Integer, List<Long>> lane : idsByLane.entrySet()) {
                long epoch = held.get(lane.getKey());
                p.send(new ProducerRecord<>(
                        positionsTopic,
                        0,
                        Integer.toString(lane.getKey()).getBytes(StandardCharsets.UTF_8),
                        positionValue(epoch, lane.getValue()).getBytes(StandardCharsets.UTF_8)));
            }
            p.commitTransaction();
        } catch (RuntimeException error) {
            sending[0] = null;
            // What the records were told so far: closing the producer below fails the rest as "closed forcefully".
            Map<Entry, Exception> causes = new HashMap<>(recordErrors);
            if (!refusedOnSend.isEmpty()) {
                causes.keySet().retainAll(refusedOnSend);
            }
            return failed(slot, batch, error, causes, begun);
        }
        batch.forEach(e -> e.result().complete(null));
        return List.of();
    }

    /**
     * Settles lanes whose last commit is uncertain, makes sure the producer is initialised and has read the claims up
     * to its initialisation, and leaves out (failing them) the messages of lanes not held here under a current epoch.
     */
    private List<Entry> settleAndCheck(Slot slot, List<Entry> entries, long deadline) {
        Set<Integer> lanes = new LinkedHashSet<>();
        entries.forEach(e -> lanes.add(e.lane()));
        List<Entry> batch = new ArrayList<>(entries);
        Set<Integer> toSettle = new HashSet<>();
        for (int lane : lanes) {
            if (unsettled.containsKey(lane)) {
                toSettle.add(lane);
            }
        }
        if (!toSettle.isEmpty()) {
            batch = settle(toSettle, batch, deadline);
        }
        if (slot.producer == null) {
            initialise(slot, deadline);
        }
        Set<Integer> refused = new HashSet<>();
        synchronized (claimsLock) {
            readClaimsTo(slot.claimsEndAtInit, deadline);
            for (int lane : lanes) {
                Long epoch = held.get(lane);
                if (epoch == null) {
                    refused.add(lane);
                    continue;
                }
                for (Claim k : claims.getOrDefault(lane, List.of())) {
                    if (k.epoch() > epoch) {
                        held.remove(lane, epoch);
                        refused.add(lane);
                        break;
                    }
                }
            }
        }
        if (refused.isEmpty()) {
            return batch;
        }
        List<Entry> kept = new ArrayList<>();
        for (Entry e : batch) {
            if (refused.contains(e.lane())) {
                e.result()
                        .completeExceptionally(new RetriableException(
                                e.what() + " not sent: lane " + e.lane()
                                        + " is not held by this relay under a current epoch (taken over elsewhere)",
                                null));
            } else {
                kept.add(e);
            }
        }
        return kept;
    }

    /**
     * Makes the uncertain commits of {@code lanes} final (their transactional ids fenced, unless initialised since),
     * then completes the entries the positions show were committed, and returns the rest.
     */
    private List<Entry> settle(Set<Integer> lanes, List<Entry> batch, long deadline) {
        Set<String> ids = new HashSet<>();
        for (int lane : lanes) {
            Unsettled u = unsettled.get(lane);
            if (u != null && u.slot() != null && u.slot().generation == u.generation()) {
                ids.add(u.slot().transactionalId);
            }
        }
        if (!ids.isEmpty()) {
            try (Admin a = admin.get()) {
                a.fenceProducers(List.copyOf(ids)).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RetriableException("interrupted while settling a transaction", e);
            } catch (ExecutionException e) {
                throw KafkaErrors.classify(e.getCause(), "could not settle an uncertain transaction", false);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new RetriableException("Kafka did not answer in time while settling a transaction", e);
            }
        }
        Map<Integer, Position> now = new HashMap<>();
        synchronized (positionsLock) {
            readPositionsToEnd(deadline);
            lanes.forEach(l -> {
                Position p = positions.get(l);
                if (p != null) {
                    now.put(l, p);
                }
            });
        }
        List<Entry> rest = new ArrayList<>();
        for (Entry e : batch) {
            Position p = now.get(e.lane());
            Long epoch = held.get(e.lane());
            if (lanes.contains(e.lane())
                    && p != null
                    && epoch != null
                    && p.epoch() == epoch
                    && p.ids().contains(e.id())) {
                e.result().complete(null);
            } else {
                rest.add(e);
            }
        }
        lanes.forEach(unsettled::remove);
        return rest;
    }

    private void initialise(Slot slot, long deadline) {
        Producer<byte[], byte[]> p = new KafkaProducer<>(
                producerConfig.apply(slot.transactionalId), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            p.initTransactions();
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
        slot.producer = p;
        slot.generation++;
        synchronized (claimsLock) {
            slot.claimsEndAtInit = claimsEnd(deadline);
        }
    }

    /**
     * A transaction that failed. Record errors (a record refused; {@code recordErrors} holds only the causes) abort it:
     * the refused records fail, the later records of their lanes fail retriably, and the rest is returned to be tried
     * again. Any other error leaves the outcome of the commit uncertain: the producer is dropped and the lanes are
     * settled (their positions read) before they are published again.
     */
    private List<Entry> failed(
            Slot slot, List<Entry> batch, RuntimeException error, Map<Entry, Exception> recordErrors, boolean begun) {
        dropProducer(slot);
        // A record refused makes the producer fail the others of the transaction as aborted: only the first are causes.
        recordErrors.values().removeIf(e -> e instanceof TransactionAbortedException);
        if (!recordErrors.isEmpty()) {
            Set<Integer> stoppedLanes = new HashSet<>();
            List<Entry> retry = new ArrayList<>();
            for (Entry e : batch) {
                Exception own = recordErrors.get(e);
                if (own != null && !stoppedLanes.contains(e.lane())) {
                    stoppedLanes.add(e.lane());
                    e.result().completeExceptionally(KafkaErrors.classify(own, e.what(), false));
                } else if (stoppedLanes.contains(e.lane())) {
                    e.result()
                            .completeExceptionally(new RetriableException(
                                    e.what() + " not sent: an earlier message of lane " + e.lane()
                                            + " failed in this transaction",
                                    null));
                } else {
                    retry.add(e);
                }
            }
            log.debug("transaction aborted after {} records were refused; trying the rest again", recordErrors.size());
            if (retry.isEmpty()) {
                // Nothing to try again on this producer: initialise its id now, so that the transaction it leaves is
                // aborted at once rather than holding read_committed consumers back until it times out.
                try {
                    initialise(slot, System.nanoTime() + timeout.toNanos());
                } catch (RuntimeException e) {
                    log.debug("could not initialise a transactional producer again", e);
                }
            }
            return retry;
        }
        OutboxException failure = KafkaErrors.classify(error, "the Kafka transaction failed", false);
        RetriableException retriable =
                failure instanceof RetriableException r ? r : new RetriableException(failure.getMessage(), error);
        if (!begun) {
            failAll(batch, retriable);
            return List.of();
        }
        // The commit may have happened. Initialising the transactional id again completes or aborts it for good; the
        // positions then tell which.
        long deadline = System.nanoTime() + timeout.toNanos();
        long generation = slot.generation;
        try {
            initialise(slot, deadline);
            Set<Integer> lanes = new LinkedHashSet<>();
            batch.forEach(e -> lanes.add(e.lane()));
            batch.forEach(e -> unsettled.put(e.lane(), new Unsettled(null, 0)));
            List<Entry> rest = settle(lanes, batch, deadline);
            log.info(
                    "a Kafka transaction failed ({}); {} of its {} records had been committed",
                    failure.getMessage(),
                    batch.size() - rest.size(),
                    batch.size());
            return rest;
        } catch (RuntimeException e) {
            dropProducer(slot);
            batch.forEach(x -> unsettled.put(x.lane(), new Unsettled(slot, generation)));
            log.warn(
                    "a Kafka transaction failed ({}) and could not be settled yet; its lanes are settled before they"
                            + " are published again",
                    failure.getMessage());
            failAll(batch, retriable);
            return List.of();
        }
    }

    private void dropProducer(Slot slot) {
        Producer<byte[], byte[]> p = slot.producer;
        slot.producer = null;
        if (p != null) {
            try {
                p.close(Duration.ZERO);
            } catch (RuntimeException e) {
                log.debug("closing a failed transactional producer failed", e);
            }
        }
    }

    private static void failAll(List<Entry> entries, OutboxException error) {
        entries.forEach(e -> e.result().completeExceptionally(error));
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** Closes the producers (aborting nothing: an open transaction is fenced by the next owner) and the readers. */
    @Override
    public void close() {
        closed = true;
        transactions.shutdown();
        try {
            if (!transactions.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Kafka transactions still running after {}; closing their producers", closeTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Slot s : slots) {
            boolean locked = false;
            try {
                locked = s.lock.tryLock(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                Producer<byte[], byte[]> p = s.producer;
                s.producer = null;
                if (p != null) {
                    p.close(closeTimeout);
                }
            } catch (RuntimeException e) {
                log.warn("closing a transactional producer failed", e);
            } finally {
                if (locked) {
                    s.lock.unlock();
                }
            }
        }
        // Transactions that never started fail as the broker being closed.
        transactions.shutdownNow().forEach(Runnable::run);
        synchronized (claimsLock) {
            if (claimsReader != null) {
                claimsReader.close(CloseOptions.timeout(closeTimeout));
                claimsReader = null;
            }
        }
        synchronized (positionsLock) {
            if (positionsReader != null) {
                positionsReader.close(CloseOptions.timeout(closeTimeout));
                positionsReader = null;
            }
        }
    }
}
