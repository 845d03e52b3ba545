package dev.outbox.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.MessageId;
import dev.outbox.StoppedLane;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordingMonitorTest {
    private final RecordingMonitor monitor = new RecordingMonitor();

    @Test
    void keepsEveryCallInOrder() {
        StoppedLane first = stop(3);
        StoppedLane second = stop(5);
        monitor.laneStopped(first);
        monitor.laneBehind(7, Duration.ofSeconds(2));
        monitor.laneRestarted(3);
        monitor.laneStopped(second);
        monitor.laneBehind(7, Duration.ofSeconds(4));
        monitor.laneBehind(1, Duration.ofSeconds(1));

        assertThat(monitor.stopped()).containsExactly(first, second);
        assertThat(monitor.restarted()).containsExactly(3);
        assertThat(monitor.behind()).containsExactly(7, 7, 1);
        assertThat(monitor.lags())
                .containsExactly(
                        new RecordingMonitor.Lag(7, Duration.ofSeconds(2)),
                        new RecordingMonitor.Lag(7, Duration.ofSeconds(4)),
                        new RecordingMonitor.Lag(1, Duration.ofSeconds(1)));
    }

    @Test
    void answersAreSnapshotsThatLaterCallsLeaveAlone() {
        monitor.laneStopped(stop(2));
        List<StoppedLane> before = monitor.stopped();
        List<Integer> behindBefore = monitor.behind();

        monitor.laneStopped(stop(4));
        monitor.laneBehind(4, Duration.ofMillis(10));

        assertThat(before).hasSize(1);
        assertThat(behindBefore).isEmpty();
        assertThat(monitor.stopped()).hasSize(2);
    }

    private static StoppedLane stop(int lane) {
        return new StoppedLane(lane, new MessageId(lane + 100L), "t", "unroutable", 1, Instant.EPOCH);
    }
}
