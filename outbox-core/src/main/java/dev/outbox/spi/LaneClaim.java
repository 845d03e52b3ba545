package dev.outbox.spi;

/**
 * A relay's hold on a lane, as its last heartbeat returned it.
 *
 * <p>The epoch goes up every time the lane changes hands; every write a relay makes for a lane (acknowledge, record a
 * failure, stop) carries the epoch it holds, and the store refuses it when the epoch has moved on. That is the fencing
 * that keeps a paused relay from deleting rows another relay now owns.
 *
 * <p>The generation goes up every time an operator restarts the lane or skips its head. A relay that stopped the lane
 * itself keeps it stopped until it sees a higher generation, so a heartbeat answered before the stop never revives it.
 *
 * @param lane the lane number
 * @param epoch the epoch under which the relay holds it
 * @param stopped whether the lane is stopped (held but not published)
 * @param generation how many times the lane has been restarted or had its head skipped
 */
public record LaneClaim(int lane, long epoch, boolean stopped, long generation) {

    /** A claim of a lane that was never restarted. */
    public LaneClaim(int lane, long epoch, boolean stopped) {
        this(lane, epoch, stopped, 0);
    }
}
