package dev.outbox;

import java.time.Instant;
import java.util.Optional;

/**
 * What waits in one lane, as a relay reads it for its lag check and its metrics.
 *
 * @param lane the lane number
 * @param waiting how many messages wait, counted up to a bound (see {@code capped})
 * @param capped true when the count stopped at its bound: at least {@code waiting} messages wait
 * @param oldestCreatedAt when the oldest waiting message was appended, empty when none waits
 * @param stopped whether the lane is stopped
 */
public record LaneBacklog(int lane, long waiting, boolean capped, Optional<Instant> oldestCreatedAt, boolean stopped) {
    public LaneBacklog {
        if (waiting < 0) {
            throw new IllegalArgumentException("waiting must not be negative, was " + waiting);
        }
        java.util.Objects.requireNonNull(oldestCreatedAt, "oldestCreatedAt");
    }
}
