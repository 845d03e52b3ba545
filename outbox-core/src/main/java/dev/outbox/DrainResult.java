package dev.outbox;

import java.util.List;

/**
 * What {@link Relay#drainNow()} did.
 *
 * @param published how many messages were published and acknowledged
 * @param rounds how many rounds it ran
 * @param stopped the lanes stopped when it returned
 */
public record DrainResult(long published, int rounds, List<StoppedLane> stopped) {
    public DrainResult {
        stopped = List.copyOf(stopped);
    }
}
