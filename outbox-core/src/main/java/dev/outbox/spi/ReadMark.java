package dev.outbox.spi;

import java.util.Objects;

/**
 * What a store saw when it answered a {@link MessageStore#fetch fetch}: the point from which the next fetch looks for
 * <em>late</em> messages, those that became visible after it although their ids are below a lane's read position (a
 * transaction that took its ids early and committed late). Opaque to the relay, which hands each fetch's mark to the
 * next one of the same lanes.
 *
 * @param value the store's encoding (for PostgreSQL, a transaction snapshot)
 */
public record ReadMark(String value) {
    /** The mark of a relay that has fetched nothing yet: there is nothing to look back at. */
    public static final ReadMark NONE = new ReadMark("");

    public ReadMark {
        Objects.requireNonNull(value, "value");
    }

    /** Whether this is {@link #NONE}. */
    public boolean isNone() {
        return value.isEmpty();
    }
}
