package dev.outbox.spi;

/**
 * One lane of a {@link FetchRequest}: where the relay has read it up to, and how many of its messages it wants now.
 *
 * @param lane the lane number
 * @param after the lane's read position: every message of the lane with an id up to this one was fetched before (or
 *     is late, see {@link ReadMark}); {@code 0} when the relay has not read the lane yet
 * @param limit how many messages after {@code after} to return at most; {@code 0} to only look for late messages of
 *     the lane (a lane that is stopped or waits out a backoff)
 */
public record LaneCursor(int lane, long after, int limit) {
    public LaneCursor {
        if (lane < 0) {
            throw new IllegalArgumentException("lane must not be negative, was " + lane);
        }
        if (after < 0) {
            throw new IllegalArgumentException("after must not be negative, was " + after);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, was " + limit);
        }
    }

    /** Whether the lane is read (rather than only watched for late messages). */
    public boolean reads() {
        return limit > 0;
    }
}
