package dev.outbox.broker.kafka;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.spi.Validation;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What {@link KafkaBroker} does about a topic that does not exist yet, the first time it publishes to it (or subscribes
 * to it by name, or dead-letters to it).
 *
 * <ul>
 *   <li>{@link #requireExisting()}, the default: the topic must exist. A message for a missing topic fails with a
 *       {@link dev.outbox.FatalException}, which stops its lane in the relay until an operator creates the topic and
 *       restarts the lane; a subscription whose dead-letter topic is missing is refused. This is the safe choice in
 *       production, where partition counts and replication are decided on purpose.
 *   <li>{@link #createMissing(int, short)}: the broker creates the topic with the given partitions and replication
 *       factor (or the cluster's defaults, {@link #createMissing()}), for development, tests and demos.
 * </ul>
 *
 * Either way the adapter checks a topic once per {@link KafkaBroker} through the admin client and then remembers it;
 * the broker's own {@code auto.create.topics.enable} plays no part. Immutable.
 */
public final class TopicPolicy {
    /** The most partitions a created topic may have. */
    public static final int MAX_PARTITIONS = 100_000;

    private static final TopicPolicy REQUIRE_EXISTING = new TopicPolicy(false, null, null);

    private final boolean createMissing;
    private final Integer partitions;
    private final Short replicationFactor;

    private TopicPolicy(boolean createMissing, Integer partitions, Short replicationFactor) {
        this.createMissing = createMissing;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
    }

    /** Topics must exist; publishing to a missing one fails fatally. The default. */
    public static TopicPolicy requireExisting() {
        return REQUIRE_EXISTING;
    }

    /** Missing topics are created with the cluster's default partition count and replication factor. */
    public static TopicPolicy createMissing() {
        return new TopicPolicy(true, null, null);
    }

    /**
     * Missing topics are created with {@code partitions} partitions and {@code replicationFactor} replicas.
     *
     * @throws InvalidConfigurationException if either is not positive, or partitions more than {@value
     *     #MAX_PARTITIONS}
     */
    public static TopicPolicy createMissing(int partitions, short replicationFactor) {
        Validation.positive(partitions, MAX_PARTITIONS, "topic policy partitions");
        Validation.positive(replicationFactor, Short.MAX_VALUE, "topic policy replicationFactor");
        return new TopicPolicy(true, partitions, replicationFactor);
    }

    /** Whether missing topics are created. */
    public boolean createsMissing() {
        return createMissing;
    }

    /** The partition count for created topics; empty for the cluster's default (or when nothing is created). */
    public OptionalInt partitions() {
        return partitions == null ? OptionalInt.empty() : OptionalInt.of(partitions);
    }

    /** The replication factor for created topics; empty for the cluster's default (or when nothing is created). */
    public Optional<Short> replicationFactor() {
        return Optional.ofNullable(replicationFactor);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicPolicy p
                && createMissing == p.createMissing
                && Objects.equals(partitions, p.partitions)
                && Objects.equals(replicationFactor, p.replicationFactor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(createMissing, partitions, replicationFactor);
    }

    @Override
    public String toString() {
        if (!createMissing) {
            return "TopicPolicy[requireExisting]";
        }
        return "TopicPolicy[createMissing, partitions=" + (partitions == null ? "cluster default" : partitions)
                + ", replicationFactor=" + (replicationFactor == null ? "cluster default" : replicationFactor) + "]";
    }
}
