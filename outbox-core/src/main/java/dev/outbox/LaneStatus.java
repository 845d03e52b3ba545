package dev.outbox;

import java.time.Duration;
import java.util.Optional;

/**
 * One lane as an operator sees it.
 *
 * @param lane the lane number
 * @param backlog how many messages wait in it
 * @param oldestAge the age of its oldest waiting message, empty when none waits
 * @param owner the relay instance that owns it, empty when none does
 * @param stopped the stop record, empty when the lane runs
 */
public record LaneStatus(
        int lane, long backlog, Optional<Duration> oldestAge, Optional<String> owner, Optional<StoppedLane> stopped) {}
