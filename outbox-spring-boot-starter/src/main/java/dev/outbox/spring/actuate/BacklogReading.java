package dev.outbox.spring.actuate;

import dev.outbox.LaneBacklog;
import dev.outbox.RelayListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The relay's latest reading of its lanes' backlog, kept for health and the {@code outbox} endpoint: the relay reads
 * it every {@code maintenanceInterval} anyway, so health checks cost no query of their own.
 */
public final class BacklogReading implements RelayListener {
    private final Clock clock;
    private volatile List<LaneBacklog> lanes = List.of();

    /** A reading that ages messages with {@code clock}. */
    public BacklogReading(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void backlog(List<LaneBacklog> lanes) {
        this.lanes = List.copyOf(lanes);
    }

    /** Messages waiting in the lanes the relay held at its latest reading. */
    public long waiting() {
        return lanes.stream().mapToLong(LaneBacklog::waiting).sum();
    }

    /** The age of the oldest of them; empty when none waits (or before the first reading). */
    public Optional<Duration> oldestAge() {
        return lanes.stream()
                .map(LaneBacklog::oldestCreatedAt)
                .flatMap(Optional::stream)
                .min(Instant::compareTo)
                .map(oldest -> Duration.between(oldest, clock.instant()));
    }
}
