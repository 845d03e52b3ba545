package dev.outbox.internal;

import dev.outbox.LaneBacklog;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.LaneCursor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs every {@code maintenanceInterval} on its own thread: one backlog reading of the lanes held (from the
 * workers' low-water marks, so it does not walk rows deleted below them), which feeds both the lag check and the
 * listener's metrics, and the purge of acknowledged messages kept for a retention window.
 */
final class Maintenance {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);
    /** The most messages counted per lane in a backlog reading. */
    static final int BACKLOG_CAP = 10_000;

    private static final int PURGE_BATCH = 10_000;
    private static final int PURGE_BATCHES = 10;

    private final RelaySettings s;
    private final LaneLeases leases;
    private final List<Worker> workers;
    private final BooleanSupplier running;

    Maintenance(RelaySettings settings, LaneLeases leases, List<Worker> workers, BooleanSupplier running) {
        this.s = settings;
        this.leases = leases;
        this.workers = workers;
        this.running = running;
    }

    void run() {
        try {
            readBacklog();
        } catch (RuntimeException e) {
            log.warn("relay {}: backlog reading failed", s.relayId(), e);
        }
        try {
            int purged;
            int batches = 0;
            do {
                purged = s.store().purgeSent(PURGE_BATCH);
            } while (purged == PURGE_BATCH && ++batches < PURGE_BATCHES && running.getAsBoolean());
        } catch (RuntimeException e) {
            log.warn("relay {}: purge of sent messages failed", s.relayId(), e);
        }
    }

    private void readBacklog() {
        Map<Integer, LaneClaim> held = leases.current().claims();
        List<LaneCursor> cursors = new ArrayList<>(held.size());
        for (int lane : held.keySet()) {
            long after = 0;
            for (Worker w : workers) {
                if (w.owns(lane)) {
                    after = w.lowWater().getOrDefault(lane, 0L);
                }
            }
            cursors.add(new LaneCursor(lane, after, BACKLOG_CAP));
        }
        cursors.sort((a, b) -> Integer.compare(a.lane(), b.lane()));
        List<LaneBacklog> readings = cursors.isEmpty() ? List.of() : s.store().backlog(cursors);
        Instant now = s.clock().instant();
        for (LaneBacklog r : readings) {
            LaneClaim claim = held.get(r.lane());
            if (claim == null || claim.stopped() || r.oldestCreatedAt().isEmpty()) {
                continue;
            }
            Duration age = Duration.between(r.oldestCreatedAt().get(), now);
            if (age.compareTo(s.lagThreshold()) > 0) {
                Calls.monitor(s, m -> m.laneBehind(r.lane(), age));
            }
        }
        Calls.listener(s, l -> l.backlog(readings));
    }
}
