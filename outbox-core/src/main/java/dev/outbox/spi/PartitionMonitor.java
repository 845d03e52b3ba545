package dev.outbox.spi;

import dev.outbox.StoppedLane;
import java.time.Duration;
import java.util.List;

/**
 * Hears about lanes (partitions) that stop, restart or fall behind, for alerting and dashboards. Every method has an
 * empty default, so an implementation overrides only what it needs.
 *
 * <p>Called from relay threads: implementations must be thread-safe and return quickly. An exception thrown by a
 * monitor is logged and otherwise ignored.
 */
public interface PartitionMonitor {

    /** A monitor that does nothing. */
    PartitionMonitor NOOP = new PartitionMonitor() {};

    /** A lane was stopped because its head message kept failing, or failed fatally. */
    default void laneStopped(StoppedLane stopped) {}

    /** A stopped lane was restarted (or its head skipped) and flows again. */
    default void laneRestarted(int lane) {}

    /** A lane's oldest waiting message is older than the relay's {@code lagThreshold}. */
    default void laneBehind(int lane, Duration oldestAge) {}

    /** One monitor that tells each of {@code monitors} in turn.
     *
     * @throws dev.outbox.InvalidConfigurationException if the list or one of its elements is null, naming its index
     */
    static PartitionMonitor all(List<? extends PartitionMonitor> monitors) {
        List<PartitionMonitor> copy = List.copyOf(Validation.elements(monitors, "monitors"));
        return new PartitionMonitor() {
            @Override
            public void laneStopped(StoppedLane stopped) {
                copy.forEach(m -> m.laneStopped(stopped));
            }

            @Override
            public void laneRestarted(int lane) {
                copy.forEach(m -> m.laneRestarted(lane));
            }

            @Override
            public void laneBehind(int lane, Duration oldestAge) {
                copy.forEach(m -> m.laneBehind(lane, oldestAge));
            }
        };
    }
}
