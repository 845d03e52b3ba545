package dev.outbox.spi;

import java.util.List;

/**
 * What a heartbeat returns: the lanes the relay now holds, and how many it should hold for a fair share among the
 * relays alive.
 *
 * @param claims the lanes held, with their epochs
 * @param fairShare how many lanes this relay should hold; when it holds more it releases the surplus at the end of a
 *     round, so that the lanes move without interrupting a batch
 * @param liveRelays how many relays share the lanes, this one included
 */
public record LaneAssignment(List<LaneClaim> claims, int fairShare, int liveRelays) {
    public LaneAssignment {
        claims = List.copyOf(claims);
    }
}
