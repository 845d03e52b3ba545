package dev.outbox.testkit;

import dev.outbox.StoppedLane;
import dev.outbox.spi.PartitionMonitor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link PartitionMonitor} for tests that keeps what the relay told it, in order. Thread-safe. */
public final class RecordingMonitor implements PartitionMonitor {
    private final List<StoppedLane> stopped = new CopyOnWriteArrayList<>();
    private final List<Integer> restarted = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<Integer, Duration>> behind = new CopyOnWriteArrayList<>();

    @Override
    public void laneStopped(StoppedLane lane) {
        stopped.add(lane);
    }

    @Override
    public void laneRestarted(int lane) {
        restarted.add(lane);
    }

    @Override
    public void laneBehind(int lane, Duration oldestAge) {
        behind.add(Map.entry(lane, oldestAge));
    }

    /** Every lane stop heard so far (a live view). */
    public List<StoppedLane> stopped() {
        return stopped;
    }

    /** Every lane restart heard so far (a live view). */
    public List<Integer> restarted() {
        return restarted;
    }

    /** Every lag report heard so far, lane and oldest age (a live view). */
    public List<Map.Entry<Integer, Duration>> behind() {
        return behind;
    }
}
