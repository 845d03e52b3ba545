package dev.outbox.fake;

import dev.outbox.StoppedLane;
import dev.outbox.spi.PartitionMonitor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link PartitionMonitor} that records every call, in order. Thread-safe. */
public final class RecordingMonitor implements PartitionMonitor {
    private final List<StoppedLane> stopped = new CopyOnWriteArrayList<>();
    private final List<Integer> restarted = new CopyOnWriteArrayList<>();
    private final List<Integer> behind = new CopyOnWriteArrayList<>();

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
        behind.add(lane);
    }

    /** The stop records told, in order. */
    public List<StoppedLane> stopped() {
        return List.copyOf(stopped);
    }

    /** The lanes told restarted, in order. */
    public List<Integer> restarted() {
        return List.copyOf(restarted);
    }

    /** The lanes told behind, in order (repeats included). */
    public List<Integer> behind() {
        return List.copyOf(behind);
    }
}
