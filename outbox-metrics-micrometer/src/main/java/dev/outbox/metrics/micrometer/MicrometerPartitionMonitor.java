package dev.outbox.metrics.micrometer;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.StoppedLane;
import dev.outbox.spi.PartitionMonitor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link PartitionMonitor} that counts lane stops, restarts and lag warnings in a Micrometer {@link MeterRegistry}.
 * Give it to {@link dev.outbox.Relay.Builder#monitor} (combine several with {@link PartitionMonitor#all}), or install
 * the {@code MicrometerMetricsModule}.
 *
 * <table>
 *   <caption>Lane meters</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code outbox.relay.lanes.stopped}</td><td>gauge</td>
 *       <td>lanes this relay saw stop and not yet restart</td></tr>
 *   <tr><td>{@code outbox.relay.lane.stops}</td><td>counter</td><td>lanes stopped</td></tr>
 *   <tr><td>{@code outbox.relay.lane.restarts}</td><td>counter</td><td>lanes restarted (or their head skipped)</td></tr>
 *   <tr><td>{@code outbox.relay.lane.behind}</td><td>counter</td>
 *       <td>lag warnings: a lane's oldest message was older than the relay's {@code lagThreshold} when checked</td></tr>
 * </table>
 *
 * <p>The gauge knows what this process heard since it started: a lane stopped before it started, or stopped by
 * another relay, is not in it. For the store's own count of stopped lanes, see {@link BacklogMetrics}'s {@code
 * outbox.store.lanes.stopped}, which is what to alert on.
 *
 * <p>Thread-safe.
 */
public final class MicrometerPartitionMonitor implements PartitionMonitor {
    private final Set<Integer> stopped = ConcurrentHashMap.newKeySet();
    private final Counter stops;
    private final Counter restarts;
    private final Counter behind;

    private MicrometerPartitionMonitor(MeterRegistry registry, Tags tags) {
        Gauge.builder("outbox.relay.lanes.stopped", stopped, Set::size)
                .description("Lanes this relay saw stop and not yet restart")
                .baseUnit("lanes")
                .tags(tags)
                .register(registry);
        stops = Counter.builder("outbox.relay.lane.stops")
                .description("Lanes stopped because their head message kept failing or failed fatally")
                .tags(tags)
                .register(registry);
        restarts = Counter.builder("outbox.relay.lane.restarts")
                .description("Stopped lanes restarted or skipped")
                .tags(tags)
                .register(registry);
        behind = Counter.builder("outbox.relay.lane.behind")
                .description("Lag warnings: a lane's oldest message was older than the lag threshold")
                .tags(tags)
                .register(registry);
    }

    /**
     * A monitor counting in {@code registry}.
     *
     * @throws InvalidConfigurationException if the registry is null
     */
    public static MicrometerPartitionMonitor create(MeterRegistry registry) {
        return create(registry, Tags.empty());
    }

    /**
     * A monitor counting in {@code registry}, adding {@code tags} to every meter.
     *
     * @throws InvalidConfigurationException if an argument is null
     */
    public static MicrometerPartitionMonitor create(MeterRegistry registry, Iterable<Tag> tags) {
        if (registry == null) {
            throw new InvalidConfigurationException("registry must not be null");
        }
        if (tags == null) {
            throw new InvalidConfigurationException("tags must not be null");
        }
        return new MicrometerPartitionMonitor(registry, Tags.of(tags));
    }

    @Override
    public void laneStopped(StoppedLane lane) {
        stopped.add(lane.lane());
        stops.increment();
    }

    @Override
    public void laneRestarted(int lane) {
        stopped.remove(lane);
        restarts.increment();
    }

    @Override
    public void laneBehind(int lane, Duration oldestAge) {
        behind.increment();
    }
}
