package dev.outbox.spi;

/**
 * A relay's hold on a lane. The epoch goes up every time the lane changes hands; every write a relay makes for a lane
 * (acknowledge, record a failure, stop) carries the epoch it holds, and the store refuses it when the epoch has moved
 * on. That is the fencing that keeps a paused relay from deleting rows another relay now owns.
 *
 * @param lane the lane number
 * @param epoch the epoch under which the relay holds it
 * @param stopped whether the lane is stopped (held but not published)
 */
public record LaneClaim(int lane, long epoch, boolean stopped) {}
