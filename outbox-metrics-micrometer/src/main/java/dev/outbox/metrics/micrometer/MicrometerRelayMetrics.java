package dev.outbox.metrics.micrometer;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RelayListener;
import dev.outbox.spi.Validation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link RelayListener} that records what the relay does in a Micrometer {@link MeterRegistry}. Give it to {@link
 * dev.outbox.Relay.Builder#listener}, or install the {@code MicrometerMetricsModule}.
 *
 * <p>Meters (every one also carries the tags given to the builder):
 *
 * <table>
 *   <caption>Relay meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code outbox.relay.published}</td><td>counter</td><td>{@code topic}</td>
 *       <td>messages acknowledged by the broker</td></tr>
 *   <tr><td>{@code outbox.relay.failures}</td><td>counter</td><td>{@code topic}, {@code kind}</td>
 *       <td>failed publish attempts; {@code kind} is {@code retriable} (retried with backoff) or {@code fatal} (stops
 *       the lane)</td></tr>
 *   <tr><td>{@code outbox.relay.publish.latency}</td><td>timer</td><td></td>
 *       <td>from the appending transaction's commit time to the broker's acknowledgement; with histogram buckets
 *       from 5 ms to 5 min, for percentiles</td></tr>
 *   <tr><td>{@code outbox.relay.batch.size}</td><td>distribution summary</td><td></td>
 *       <td>messages fetched per round, for rounds that fetched any</td></tr>
 *   <tr><td>{@code outbox.relay.round.duration}</td><td>timer</td><td></td><td>how long each round took</td></tr>
 *   <tr><td>{@code outbox.relay.lanes.owned}</td><td>gauge</td><td></td><td>lanes the relay holds</td></tr>
 *   <tr><td>{@code outbox.relay.last.round.age}</td><td>time gauge</td><td></td>
 *       <td>time since the last round that completed (since these metrics were created, before the first): a value
 *       that keeps growing means the relay loop is stuck or keeps failing</td></tr>
 * </table>
 *
 * <p><b>Cardinality.</b> The {@code topic} tag assumes an application publishes to a bounded, modest set of topics
 * (tens, not thousands: topics named after event types, not after entities). As a guard, only the first {@link
 * Builder#maxTopics maxTopics} distinct topics get a tag value of their own; messages of later topics are counted
 * under {@value #OTHER_TOPIC}. Timers are not tagged by topic, to keep their histograms few.
 *
 * <p>Thread-safe; every method is quick and never throws for a well-formed call.
 */
public final class MicrometerRelayMetrics implements RelayListener {
    /** The {@code topic} tag value of messages whose topic came after the first {@code maxTopics}. */
    public static final String OTHER_TOPIC = "_other";

    /** Default most distinct topic tag values: 100. */
    public static final int DEFAULT_MAX_TOPICS = 100;

    /**
     * Bucket bounds of the publish latency, published as a histogram where the registry supports one (Prometheus:
     * {@code outbox_relay_publish_latency_seconds_bucket}), so that dashboards compute percentiles across relays. A
     * fixed, short list keeps it to 15 series per relay; from 5 ms (a relay's round) to 5 min (an outage).
     */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(5),
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(5)
    };

    private final MeterRegistry registry;
    private final Tags tags;
    private final int maxTopics;
    private final Map<String, TopicMeters> topics = new ConcurrentHashMap<>();
    private volatile TopicMeters other;
    private final DistributionSummary batchSize;
    private final Timer latency;
    private final Timer roundDuration;
    private final AtomicInteger lanesOwned = new AtomicInteger();
    private final AtomicLong lastRoundNanos;

    private MicrometerRelayMetrics(MeterRegistry registry, Tags tags, int maxTopics) {
        this.registry = registry;
        this.tags = tags;
        this.maxTopics = maxTopics;
        this.lastRoundNanos = new AtomicLong(registry.config().clock().monotonicTime());
        this.batchSize = DistributionSummary.builder("outbox.relay.batch.size")
                .description("Messages fetched per relay round (rounds that fetched any)")
                .baseUnit("messages")
                .tags(tags)
                .register(registry);
        this.latency = Timer.builder("outbox.relay.publish.latency")
                .description("Time from the appending transaction's commit to the broker's acknowledgement")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .tags(tags)
                .register(registry);
        this.roundDuration = Timer.builder("outbox.relay.round.duration")
                .description("Duration of one relay round: fetch, publish, wait for acks, acknowledge")
                .tags(tags)
                .register(registry);
        Gauge.builder("outbox.relay.lanes.owned", lanesOwned, AtomicInteger::get)
                .description("Lanes this relay holds")
                .baseUnit("lanes")
                .tags(tags)
                .register(registry);
        TimeGauge.builder(
                        "outbox.relay.last.round.age",
                        lastRoundNanos,
                        TimeUnit.NANOSECONDS,
                        last -> registry.config().clock().monotonicTime() - last.get())
                .description("Time since the relay's last completed round")
                .tags(tags)
                .register(registry);
    }

    /** Metrics in {@code registry}, with no extra tags and the default topic limit. */
    public static MicrometerRelayMetrics create(MeterRegistry registry) {
        return builder(registry).build();
    }

    /** A builder for metrics in {@code registry}. */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public void roundCompleted(int fetched, int published, int failed, Duration elapsed) {
        lastRoundNanos.set(registry.config().clock().monotonicTime());
        roundDuration.record(elapsed);
        if (fetched > 0) {
            batchSize.record(fetched);
        }
    }

    @Override
    public void published(OutgoingMessage message, Duration sinceCreated) {
        meters(message).published.increment();
        latency.record(sinceCreated);
    }

    @Override
    public void publishFailed(OutgoingMessage message, OutboxException error) {
        TopicMeters m = meters(message);
        (error.isRetriable() ? m.retriable : m.fatal).increment();
    }

    @Override
    public void lanesOwned(int count) {
        lanesOwned.set(count);
    }

    private TopicMeters meters(OutgoingMessage message) {
        String topic = message.envelope().topic();
        TopicMeters m = topics.get(topic);
        if (m != null) {
            return m;
        }
        // Past the limit, topics are not remembered at all, so neither meters nor memory grow with them. The bound
        // is approximate under races (a few more than maxTopics at worst), which is all it needs to be.
        if (topics.size() >= maxTopics) {
            return otherTopic();
        }
        return topics.computeIfAbsent(topic, TopicMeters::new);
    }

    private TopicMeters otherTopic() {
        TopicMeters o = other;
        if (o == null) {
            synchronized (this) {
                if (other == null) {
                    other = new TopicMeters(OTHER_TOPIC);
                }
                o = other;
            }
        }
        return o;
    }

    private final class TopicMeters {
        final Counter published;
        final Counter retriable;
        final Counter fatal;

        TopicMeters(String topic) {
            Tags t = tags.and("topic", topic);
            published = Counter.builder("outbox.relay.published")
                    .description("Messages acknowledged by the broker")
                    .baseUnit("messages")
                    .tags(t)
                    .register(registry);
            retriable = failures(t, "retriable");
            fatal = failures(t, "fatal");
        }

        private Counter failures(Tags t, String kind) {
            return Counter.builder("outbox.relay.failures")
                    .description("Failed publish attempts: retriable ones are retried, fatal ones stop their lane")
                    .baseUnit("messages")
                    .tags(t.and("kind", kind))
                    .register(registry);
        }
    }

    /** Builds {@link MicrometerRelayMetrics}; registers its meters in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final MeterRegistry registry;
        private Tags tags = Tags.empty();
        private int maxTopics = DEFAULT_MAX_TOPICS;

        private Builder(MeterRegistry registry) {
            this.registry = registry;
        }

        /** Tags added to every meter, e.g. {@code service}. Default none. */
        public Builder tags(Iterable<Tag> tags) {
            if (tags == null) {
                throw new InvalidConfigurationException("tags must not be null");
            }
            this.tags = Tags.of(tags);
            return this;
        }

        /**
         * How many distinct topics get a {@code topic} tag value of their own; later ones share {@value
         * #OTHER_TOPIC}. Default {@value #DEFAULT_MAX_TOPICS}.
         */
        public Builder maxTopics(int maxTopics) {
            this.maxTopics = maxTopics;
            return this;
        }

        /**
         * Registers the meters and returns the listener.
         *
         * @throws InvalidConfigurationException if the registry is null or {@code maxTopics} is not positive
         */
        public MicrometerRelayMetrics build() {
            if (registry == null) {
                throw new InvalidConfigurationException("registry must not be null");
            }
            Validation.positive(maxTopics, 100_000, "maxTopics");
            return new MicrometerRelayMetrics(registry, tags, maxTopics);
        }
    }
}
