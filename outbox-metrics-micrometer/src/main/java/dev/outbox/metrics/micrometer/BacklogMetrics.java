package dev.outbox.metrics.micrometer;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.LaneBacklog;
import dev.outbox.LaneStatus;
import dev.outbox.RelayListener;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.Validation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of what waits in the store: the backlog and the age of its oldest message, overall and per lane, and the
 * stopped lanes. The gauges show the last reading, so scraping them never touches the database. Readings come from
 * one of two places:
 *
 * <ul>
 *   <li>the relay: as a {@link RelayListener}, it takes the reading the relay makes every {@code maintenanceInterval}
 *       of the lanes it holds, the same reading that feeds the relay's lag check. Nothing else reads the store. The
 *       gauges then cover this relay's lanes (a lane another relay holds shows no data here); sum them over the
 *       relays for the whole store. This is what {@code MicrometerMetricsModule} wires.
 *   <li>its own poller, for a process that runs no relay: {@link #start()} reads {@link MessageStore#status()} (the
 *       whole table, grouped by lane) every {@link Builder#interval interval} on a thread of its own ({@code
 *       outbox-metrics-backlog}).
 * </ul>
 *
 * <table>
 *   <caption>Backlog meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code outbox.backlog}</td><td>gauge</td><td></td><td>messages waiting in the store</td></tr>
 *   <tr><td>{@code outbox.backlog.oldest.age}</td><td>time gauge</td><td></td>
 *       <td>age of the oldest waiting message, 0 when none waits</td></tr>
 *   <tr><td>{@code outbox.store.lanes.stopped}</td><td>gauge</td><td></td>
 *       <td>lanes stopped in the store, by whichever relay: alert on this</td></tr>
 *   <tr><td>{@code outbox.lane.backlog}</td><td>gauge</td><td>{@code lane}</td><td>messages waiting in one lane</td></tr>
 *   <tr><td>{@code outbox.lane.oldest.age}</td><td>time gauge</td><td>{@code lane}</td>
 *       <td>age of one lane's oldest waiting message</td></tr>
 *   <tr><td>{@code outbox.lane.stopped}</td><td>gauge</td><td>{@code lane}</td><td>1 if the lane is stopped, else 0</td></tr>
 *   <tr><td>{@code outbox.backlog.poll.failures}</td><td>counter</td><td></td>
 *       <td>readings that failed (the gauges keep the last good reading)</td></tr>
 * </table>
 *
 * <p><b>Cardinality.</b> The per-lane gauges exist only when the store has at most {@link Builder#maxLaneTags
 * maxLaneTags} lanes (default {@value #DEFAULT_MAX_LANE_TAGS}, the store's default lane count); with more lanes only
 * the overall gauges are registered. Before the first reading every gauge shows NaN (no data), not a misleading 0.
 *
 * <p>Nothing runs until {@link #start()}; {@link #close()} stops the poller and removes the meters. {@link #refresh()}
 * reads the store at once on the caller's thread. Thread-safe.
 */
public final class BacklogMetrics implements AutoCloseable, RelayListener {
    /** Default time between two readings of the store: 10 seconds. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    /** Default most lanes with gauges of their own: 64. */
    public static final int DEFAULT_MAX_LANE_TAGS = 64;

    private static final Logger log = LoggerFactory.getLogger(BacklogMetrics.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** One reading of the store; ages in seconds. */
    private record Reading(
            double backlog,
            double oldestSeconds,
            double stopped,
            long[] laneBacklog,
            double[] laneAge,
            boolean[] laneStopped,
            boolean[] held) {
        static Reading none(int lanes) {
            double[] nan = new double[lanes];
            Arrays.fill(nan, Double.NaN);
            return new Reading(Double.NaN, Double.NaN, Double.NaN, null, nan, null, null);
        }

        /** Whether the reading says anything of the lane (a relay's reading covers only the lanes it holds). */
        boolean covers(int lane) {
            return laneBacklog != null && (held == null || held[lane]);
        }
    }

    private final MessageStore store;
    private final MeterRegistry registry;
    private final Clock clock;
    private final int laneCount;
    private final Duration interval;
    private final boolean perLane;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter failures;
    private final Object lifecycle = new Object();
    private volatile Reading reading;
    private ScheduledExecutorService poller; // guarded by lifecycle
    private volatile Thread pollerThread;
    private boolean closed; // guarded by lifecycle

    private BacklogMetrics(MessageStore store, MeterRegistry registry, Tags tags, Duration interval, int maxLaneTags) {
        this.store = store;
        this.registry = registry;
        this.clock = Clock.systemUTC();
        this.interval = interval;
        int lanes = store.lanes();
        this.laneCount = lanes;
        this.perLane = lanes <= maxLaneTags;
        this.reading = Reading.none(perLane ? lanes : 0);
        meters.add(gauge("outbox.backlog", "Messages waiting in the outbox store", tags, Reading::backlog));
        meters.add(TimeGauge.builder("outbox.backlog.oldest.age", this, TimeUnit.SECONDS, b -> b.reading.oldestSeconds)
                .description("Age of the oldest message waiting in the outbox store")
                .tags(tags)
                .register(registry));
        meters.add(gauge("outbox.store.lanes.stopped", "Lanes stopped in the outbox store", tags, Reading::stopped));
        if (perLane) {
            for (int lane = 0; lane < lanes; lane++) {
                int l = lane;
                Tags laneTags = tags.and("lane", Integer.toString(lane));
                meters.add(gauge(
                        "outbox.lane.backlog",
                        "Messages waiting in one lane",
                        laneTags,
                        r -> r.covers(l) ? r.laneBacklog[l] : Double.NaN));
                meters.add(
                        TimeGauge.builder("outbox.lane.oldest.age", this, TimeUnit.SECONDS, b -> b.reading.laneAge[l])
                                .description("Age of the oldest message waiting in one lane")
                                .tags(laneTags)
                                .register(registry));
                meters.add(gauge(
                        "outbox.lane.stopped",
                        "1 if the lane is stopped, else 0",
                        laneTags,
                        r -> r.covers(l) ? (r.laneStopped[l] ? 1 : 0) : Double.NaN));
            }
        }
        failures = Counter.builder("outbox.backlog.poll.failures")
                .description("Readings of the outbox store's status that failed")
                .tags(tags)
                .register(registry);
        meters.add(failures);
    }

    private Gauge gauge(String name, String description, Tags tags, ToDoubleFunction<Reading> value) {
        return Gauge.builder(name, this, b -> value.applyAsDouble(b.reading))
                .description(description)
                .tags(tags)
                .strongReference(true)
                .register(registry);
    }

    /** A builder for backlog metrics of {@code store} in {@code registry}. */
    public static Builder builder(MessageStore store, MeterRegistry registry) {
        return new Builder(store, registry);
    }

    /**
     * Starts the poller thread; its first reading is taken at once.
     *
     * @throws IllegalStateException if started or closed before
     */
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("backlog metrics are closed; build new ones");
            }
            if (poller != null) {
                throw new IllegalStateException("backlog metrics are already started");
            }
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "outbox-metrics-backlog");
                t.setDaemon(true);
                pollerThread = t;
                return t;
            });
            poller.scheduleWithFixedDelay(this::safeRefresh, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Reads the store now, on the caller's thread, and updates the gauges.
     *
     * @throws dev.outbox.StoreException if the store cannot be read (the gauges keep their last reading, and the
     *     failure is counted)
     */
    public void refresh() {
        List<LaneStatus> status;
        try {
            status = store.status();
        } catch (RuntimeException e) {
            failures.increment();
            throw e;
        }
        int lanes = perLane ? store.lanes() : 0;
        long[] laneBacklog = new long[lanes];
        double[] laneAge = new double[lanes];
        boolean[] laneStopped = new boolean[lanes];
        long backlog = 0;
        double oldest = 0;
        int stopped = 0;
        for (LaneStatus s : status) {
            double age = s.oldestAge().map(BacklogMetrics::seconds).orElse(0.0);
            backlog += s.backlog();
            oldest = Math.max(oldest, age);
            if (s.stopped().isPresent()) {
                stopped++;
            }
            if (s.lane() >= 0 && s.lane() < lanes) {
                laneBacklog[s.lane()] = s.backlog();
                laneAge[s.lane()] = age;
                laneStopped[s.lane()] = s.stopped().isPresent();
            }
        }
        reading = new Reading(backlog, oldest, stopped, laneBacklog, laneAge, laneStopped, null);
    }

    /**
     * Takes a relay's reading of the lanes it holds: the gauges show these lanes, and no data for the others.
     * Called by the relay every {@code maintenanceInterval}.
     */
    @Override
    public void backlog(List<LaneBacklog> lanes) {
        int count = perLane ? laneCount : 0;
        long[] laneBacklog = new long[count];
        double[] laneAge = new double[count];
        Arrays.fill(laneAge, Double.NaN);
        boolean[] laneStopped = new boolean[count];
        boolean[] held = new boolean[count];
        long backlog = 0;
        double oldest = 0;
        int stopped = 0;
        Instant now = clock.instant();
        for (LaneBacklog l : lanes) {
            double age = l.oldestCreatedAt()
                    .map(at -> Math.max(0, seconds(Duration.between(at, now))))
                    .orElse(0.0);
            backlog += l.waiting();
            oldest = Math.max(oldest, age);
            if (l.stopped()) {
                stopped++;
            }
            if (l.lane() >= 0 && l.lane() < count) {
                held[l.lane()] = true;
                laneBacklog[l.lane()] = l.waiting();
                laneAge[l.lane()] = age;
                laneStopped[l.lane()] = l.stopped();
            }
        }
        reading = new Reading(backlog, oldest, stopped, laneBacklog, laneAge, laneStopped, held);
    }

    private void safeRefresh() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.warn("could not read the outbox store's status for the backlog metrics; next try in {}", interval, e);
        }
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    /** Stops the poller (waiting up to 10 s for a reading under way) and removes the meters. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService p;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            p = poller;
        }
        if (p != null) {
            p.shutdownNow();
            try {
                if (!p.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("the backlog metrics poller did not stop within {}", CLOSE_WAIT);
                }
                // An executor reports termination just before its thread ends: wait for the thread too.
                Thread t = pollerThread;
                if (t != null) {
                    t.join(CLOSE_WAIT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        meters.forEach(registry::remove);
    }

    /** Builds {@link BacklogMetrics}; registers the meters in {@link #build()}, starts nothing. Not thread-safe. */
    public static final class Builder {
        private final MessageStore store;
        private final MeterRegistry registry;
        private Duration interval = DEFAULT_INTERVAL;
        private int maxLaneTags = DEFAULT_MAX_LANE_TAGS;
        private Tags tags = Tags.empty();

        private Builder(MessageStore store, MeterRegistry registry) {
            this.store = store;
            this.registry = registry;
        }

        /** Time between two readings of the store. Default {@link #DEFAULT_INTERVAL} (10 s). */
        public Builder interval(Duration interval) {
            this.interval = interval;
            return this;
        }

        /**
         * Per-lane gauges are registered only if the store has at most this many lanes; 0 turns them off. Default
         * {@value #DEFAULT_MAX_LANE_TAGS}.
         */
        public Builder maxLaneTags(int maxLaneTags) {
            this.maxLaneTags = maxLaneTags;
            return this;
        }

        /** Tags added to every meter. Default none. */
        public Builder tags(Iterable<Tag> tags) {
            if (tags == null) {
                throw new InvalidConfigurationException("tags must not be null");
            }
            this.tags = Tags.of(tags);
            return this;
        }

        /**
         * Registers the meters (showing NaN until the first reading).
         *
         * @throws InvalidConfigurationException naming the bad setting
         */
        public BacklogMetrics build() {
            if (store == null) {
                throw new InvalidConfigurationException("store must not be null");
            }
            if (registry == null) {
                throw new InvalidConfigurationException("registry must not be null");
            }
            Validation.positive(interval, Duration.ofDays(1), "interval");
            Validation.between(maxLaneTags, 0, 4096, "maxLaneTags");
            return new BacklogMetrics(store, registry, tags, interval, maxLaneTags);
        }
    }
}
