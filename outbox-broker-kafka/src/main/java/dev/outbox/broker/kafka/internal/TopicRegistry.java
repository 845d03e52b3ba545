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
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics a broker has seen exist, with their {@code max.message.bytes}, and the check (and, by policy, creation)
 * of the others through an admin client: one round trip for all the new topics of a batch, then never again for them
 * until {@link #forget}. Thread-safe.
 */
public final class TopicRegistry {
    private static final Logger log = LoggerFactory.getLogger(TopicRegistry.class);
    private static final int UNKNOWN_LIMIT = -1;

    private final Supplier<Admin> admin;
    private final boolean createMissing;
    private final Optional<Integer> partitions;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;
    /** Topic to its max.message.bytes, or {@link #UNKNOWN_LIMIT} when it could not be read. */
    private final Map<String, Integer> known = new ConcurrentHashMap<>();

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
            if (known.containsKey(t)) {
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

    /**
     * The largest record batch the topic accepts ({@code max.message.bytes}), as read when the topic was last checked;
     * empty when the topic was not checked or its configuration could not be read.
     */
    public OptionalInt maxMessageBytes(String topic) {
        Integer limit = known.get(topic);
        return limit == null || limit == UNKNOWN_LIMIT ? OptionalInt.empty() : OptionalInt.of(limit);
    }

    /**
     * Reads the {@code max.message.bytes} of a topic known to exist again, now, and remembers it.
     *
     * @return the limit; empty when it cannot be read (Kafka then judges a record itself)
     */
    public OptionalInt rereadMaxMessageBytes(String topic) {
        Admin a;
        try {
            a = admin.get();
        } catch (RuntimeException e) {
            log.debug("could not read max.message.bytes of topic {}: {}", topic, e.toString());
            return OptionalInt.empty();
        }
        try {
            int limit = limits(a, List.of(topic)).get(topic);
            known.replace(topic, limit);
            return limit == UNKNOWN_LIMIT ? OptionalInt.empty() : OptionalInt.of(limit);
        } finally {
            a.close(timeout);
        }
    }

    /** Forgets {@code topic}, so the next use checks it (and its limit) again: it was reported unknown, or too small. */
    public void forget(String topic) {
        known.remove(topic);
    }

    private void check(Admin a, Set<String> unknown, Map<String, OutboxException> failures) {
        List<String> existing = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, KafkaFuture<TopicDescription>> described =
                a.describeTopics(unknown).topicNameValues();
        for (String t : unknown) {
            try {
                await(described.get(t));
                existing.add(t);
            } catch (Exception e) {
                Throwable cause = cause(e);
                if (cause instanceof UnknownTopicOrPartitionException) {
                    missing.add(t);
                } else {
                    failures.put(t, KafkaErrors.classify(cause, "could not check topic " + t, false));
                }
            }
        }
        if (!missing.isEmpty() && !createMissing) {
            for (String t : missing) {
                failures.put(
                        t,
                        new FatalException("topic " + t + " does not exist and the topic policy is requireExisting:"
                                + " create it, or use TopicPolicy.createMissing"));
            }
        }
        if (!existing.isEmpty()) {
            // Existing is not ready: another client (another relay) may have created it a moment ago.
            try {
                awaitLeaders(a, existing);
            } catch (Exception e) {
                Throwable cause = cause(e);
                if (cause instanceof org.apache.kafka.common.errors.RetriableException
                        || cause instanceof TimeoutException
                        || cause instanceof InterruptedException) {
                    OutboxException error = KafkaErrors.classify(cause, "topics " + existing + " are not ready", false);
                    existing.forEach(t -> failures.put(t, error));
                    existing.clear();
                } else {
                    // Not allowed to list offsets, say: the producer finds out for itself, as before this check.
                    log.debug("could not check that topics {} are ready: {}", existing, cause.toString());
                }
            }
        }
        if (!missing.isEmpty() && createMissing) {
            existing.addAll(create(a, missing, failures));
        }
        if (!existing.isEmpty()) {
            known.putAll(limits(a, existing));
        }
    }

    /** Creates {@code missing} and waits for their leaders; returns those that are ready. */
    private List<String> create(Admin a, List<String> missing, Map<String, OutboxException> failures) {
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
            return ready;
        } catch (Exception e) {
            OutboxException error = KafkaErrors.classify(cause(e), "created topics " + ready + " are not ready", false);
            ready.forEach(t -> failures.put(t, error));
            return List.of();
        }
    }

    /**
     * Waits until every partition of {@code created} has a leader that serves requests, whoever created it. A topic
     * is created when the
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

    /**
     * The topics' {@code max.message.bytes}. Reading it is a convenience (it lets the broker refuse a record too large
     * before sending it, so that nothing behind it overtakes it): without the permission to describe configurations,
     * the limit is unknown and Kafka refuses such a record itself.
     */
    private Map<String, Integer> limits(Admin a, List<String> topics) {
        Map<String, Integer> limits = new HashMap<>();
        List<ConfigResource> resources = new ArrayList<>();
        for (String t : topics) {
            limits.put(t, UNKNOWN_LIMIT);
            resources.add(new ConfigResource(ConfigResource.Type.TOPIC, t));
        }
        Map<ConfigResource, KafkaFuture<Config>> configs =
                a.describeConfigs(resources).values();
        for (ConfigResource r : resources) {
            try {
                ConfigEntry entry = configs.get(r)
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .get("max.message.bytes");
                if (entry != null && entry.value() != null) {
                    limits.put(r.name(), Integer.parseInt(entry.value()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return limits;
            } catch (ExecutionException | TimeoutException | NumberFormatException e) {
                log.debug("could not read max.message.bytes of topic {}: {}", r.name(), e.toString());
            }
        }
        return limits;
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.nanoTime());
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
