package dev.outbox.memory;

import dev.outbox.StoppedLane;
import dev.outbox.spi.PartitionMonitor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link PartitionMonitor} that keeps what the relay told it, in order: for tests of the relay, and of code that
 * reacts to stopped lanes. Every answer is a snapshot taken when it is asked. Thread-safe: a relay calls it from its
 * own threads.
 */
public final class RecordingMonitor implements PartitionMonitor {

    /** A lane reported behind, with the age of its oldest waiting message at that time. */
    public record Lag(int lane, Duration oldestAge) {}

    private final List<StoppedLane> stopped = new CopyOnWriteArrayList<>();
    private final List<Integer> restarted = new CopyOnWriteArrayList<>();
    private final List<Lag> lags = new CopyOnWriteArrayList<>();

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
        lags.add(new Lag(lane, oldestAge));
    }

    /** The lane stops told so far, in order. */
    public List<StoppedLane> stopped() {
        return List.copyOf(stopped);
    }

    /** The lanes told restarted so far, in order. */
    public List<Integer> restarted() {
        return List.copyOf(restarted);
    }

    /** The lanes told behind so far, in order, repeats included. */
    public List<Integer> behind() {
        return lags.stream().map(Lag::lane).toList();
    }

    /** Every lag report so far, in order: the lane and the age of its oldest message. */
    public List<Lag> lags() {
        return List.copyOf(lags);
    }
}
