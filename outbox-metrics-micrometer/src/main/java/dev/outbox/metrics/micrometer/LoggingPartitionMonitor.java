package dev.outbox.metrics.micrometer;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.StoppedLane;
import dev.outbox.spi.PartitionMonitor;
import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PartitionMonitor} that writes lane events to the log (logger {@code dev.outbox.lanes}): a stop at ERROR
 * with the lane, head message, topic, attempts and reason, so an alert on error logs catches it; a restart at INFO; a
 * lagging lane at WARN, at most once per lane per quiet period, since the relay checks lag every few seconds.
 *
 * <p>Needs no metrics backend. Thread-safe.
 */
public final class LoggingPartitionMonitor implements PartitionMonitor {
    /** Default quiet period between two lag warnings of one lane: 5 minutes. */
    public static final Duration DEFAULT_BEHIND_QUIET_PERIOD = Duration.ofMinutes(5);

    private static final Logger log = LoggerFactory.getLogger("dev.outbox.lanes");

    private final long quietNanos;
    private final Map<Integer, Long> lastBehindWarning = new ConcurrentHashMap<>();

    private LoggingPartitionMonitor(Duration quietPeriod) {
        this.quietNanos = quietPeriod.toNanos();
    }

    /** A monitor with the default quiet period ({@link #DEFAULT_BEHIND_QUIET_PERIOD}). */
    public static LoggingPartitionMonitor create() {
        return create(DEFAULT_BEHIND_QUIET_PERIOD);
    }

    /**
     * A monitor that warns about one lagging lane at most once per {@code behindQuietPeriod}.
     *
     * @throws InvalidConfigurationException if the period is null or negative
     */
    public static LoggingPartitionMonitor create(Duration behindQuietPeriod) {
        Validation.nonNegative(behindQuietPeriod, Validation.MAX_DURATION, "behindQuietPeriod");
        return new LoggingPartitionMonitor(behindQuietPeriod);
    }

    @Override
    public void laneStopped(StoppedLane s) {
        log.error(
                "lane {} stopped at message {} (topic {}) after {} attempt(s): {}. Nothing more of this lane is"
                        + " published until it is restarted or its head is skipped (outbox-admin restart/skip {}).",
                s.lane(),
                s.messageId(),
                s.topic(),
                s.attempts(),
                s.reason(),
                s.lane());
    }

    @Override
    public void laneRestarted(int lane) {
        lastBehindWarning.remove(lane);
        log.info("lane {} restarted", lane);
    }

    @Override
    public void laneBehind(int lane, Duration oldestAge) {
        long now = System.nanoTime();
        Long last = lastBehindWarning.get(lane);
        if (last != null && now - last < quietNanos) {
            return;
        }
        lastBehindWarning.put(lane, now);
        log.warn("lane {} is behind: its oldest waiting message is {} old", lane, oldestAge);
    }
}
