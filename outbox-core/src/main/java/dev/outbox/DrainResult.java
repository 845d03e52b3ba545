package dev.outbox;

import java.util.List;

/**
 * What {@link Relay#drainNow()} did.
 *
 * @param published how many messages the broker acknowledged (a message whose lane moved to another relay meanwhile
 *     stays in the store, for that relay to publish again)
 * @param rounds how many rounds it ran
 * @param stopped the lanes stopped when it returned
 */
public record DrainResult(long published, int rounds, List<StoppedLane> stopped) {
    public DrainResult {
        stopped = List.copyOf(stopped);
    }
}
