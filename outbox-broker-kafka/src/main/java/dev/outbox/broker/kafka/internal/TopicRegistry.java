package dev.outbox.broker.kafka.internal;

import dev.outbox.FatalException;
import dev.outbox.OutboxException;
import dev.outbox.RetriableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics a broker has seen exist, and the check (and, by policy, creation) of the others through the admin client:
 * one round trip for all the new topics of a batch, then never again for them. Thread-safe.
 */
public final class TopicRegistry {
    private static final Logger log = LoggerFactory.getLogger(TopicRegistry.class);

    private final Supplier<Admin> admin;
    private final boolean createMissing;
    private final Optional<Integer> partitions;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    /**
     * @param admin gives a new admin client for each check, closed after it
     * @param createMissing whether missing topics are created
     * @param partitions partitions of created topics, empty for the cluster's default
     * @param replicationFactor replicas of created topics, empty for the cluster's default
     * @param timeout bound on each admin round trip
     */
    public TopicRegistry(
            Supplier<Admin> admin,
            boolean createMissing,
            Optional<Integer> partitions,
            Optional<Short> replicationFactor,
            Duration timeout) {
        this.admin = admin;
        this.createMissing = createMissing;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.timeout = timeout;
    }

    /** Whether missing topics are created, so an unknown topic is only a matter of time. */
    public boolean createsMissing() {
        return createMissing;
    }

    /**
     * Makes sure every topic of {@code topics} exists, creating the missing ones if the policy says so.
     *
     * @return the topics that cannot be used now, each with its failure: {@link FatalException} for an illegal name or
     *     a missing topic that is not created, {@link RetriableException} when Kafka did not answer; empty when all
     *     exist
     */
    public Map<String, OutboxException> ensure(Collection<String> topics) {
        Map<String, OutboxException> failures = new HashMap<>();
        Set<String> unknown = new LinkedHashSet<>();
        for (String t : topics) {
            if (known.contains(t)) {
                continue;
            }
            Optional<String> invalid = TopicPatterns.invalidTopic(t);
            if (invalid.isPresent()) {
                failures.put(t, new FatalException(invalid.get()));
            } else {
                unknown.add(t);
            }
        }
        if (unknown.isEmpty()) {
            return failures;
        }
        Admin a;
        try {
            a = admin.get();
        } catch (RuntimeException e) {
            OutboxException error = KafkaErrors.classify(e, "could not create the Kafka admin client", false);
            unknown.forEach(t -> failures.put(t, error));
            return failures;
        }
        try {
            check(a, unknown, failures);
        } finally {
            a.close(timeout);
        }
        return failures;
    }

    private void check(Admin a, Set<String> unknown, Map<String, OutboxException> failures) {
        List<String> missing = new ArrayList<>();
        Map<String, KafkaFuture<org.apache.kafka.clients.admin.TopicDescription>> described =
                a.describeTopics(unknown).topicNameValues();
        for (String t : unknown) {
            try {
                await(described.get(t));
                known.add(t);
            } catch (Exception e) {
                Throwable cause = cause(e);
                if (cause instanceof UnknownTopicOrPartitionException) {
                    missing.add(t);
                } else {
                    failures.put(t, KafkaErrors.classify(cause, "could not check topic " + t, false));
                }
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        if (!createMissing) {
            for (String t : missing) {
                failures.put(
                        t,
                        new FatalException("topic " + t + " does not exist and the topic policy is requireExisting:"
                                + " create it, or use TopicPolicy.createMissing"));
            }
            return;
        }
        List<NewTopic> creations = new ArrayList<>();
        for (String t : missing) {
            creations.add(new NewTopic(t, partitions, replicationFactor));
        }
        Map<String, KafkaFuture<Void>> created = a.createTopics(creations).values();
        List<String> ready = new ArrayList<>();
        for (String t : missing) {
            try {
                await(created.get(t));
                log.info(
                        "created Kafka topic {} ({} partitions, replication {})",
                        t,
                        describe(partitions),
                        describe(replicationFactor));
                ready.add(t);
            } catch (Exception e) {
                Throwable cause = cause(e);
                if (cause instanceof TopicExistsException) {
                    ready.add(t); // created meanwhile by someone else
                } else {
                    failures.put(t, KafkaErrors.classify(cause, "could not create topic " + t, false));
                }
            }
        }
        try {
            awaitLeaders(a, ready);
            known.addAll(ready);
        } catch (Exception e) {
            OutboxException error = KafkaErrors.classify(cause(e), "created topics " + ready + " are not ready", false);
            ready.forEach(t -> failures.put(t, error));
        }
        return;
    }

    /**
     * Waits until every partition of {@code created} has a leader that serves requests. A topic is created when the
     * controller has recorded it, a moment before its leaders have taken over: records sent in that moment are refused
     * (NOT_LEADER_OR_FOLLOWER), and an idempotent producer with more records in flight behind them can then spend its
     * whole delivery timeout retrying out-of-order sequences. Listing the partitions' offsets goes to their leaders, so
     * its success means they serve.
     */
    private void awaitLeaders(Admin a, List<String> created) throws Exception {
        if (created.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                a.describeTopics(created)
                        .allTopicNames()
                        .get(remaining(deadline), TimeUnit.NANOSECONDS)
                        .forEach((name, d) -> d.partitions()
                                .forEach(
                                        p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
                a.listOffsets(latest).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)
                        || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                // The metadata has not reached the broker yet: ask again shortly.
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.nanoTime());
    }

    /** Forgets {@code topic}, so the next use checks it again (it was reported unknown, e.g. deleted). */
    public void forget(String topic) {
        known.remove(topic);
    }

    private void await(KafkaFuture<?> future) throws ExecutionException, TimeoutException, InterruptedException {
        future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Throwable cause(Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new RetriableException("interrupted while checking topics", e);
        }
        if (e instanceof TimeoutException) {
            return new RetriableException("Kafka did not answer an admin request within " + timeout, e);
        }
        return e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    }

    private static String describe(Optional<?> value) {
        return value.map(String::valueOf).orElse("cluster default");
    }
}
