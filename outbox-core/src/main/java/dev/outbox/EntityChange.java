package dev.outbox;

import java.util.Locale;

/** What happened to an entity, for {@link Appender#entity(String, EntityChange, Object)}. */
public enum EntityChange {
    CREATED,
    UPDATED,
    DESTROYED;

    /** The lower-case name used in the message type, e.g. {@code created}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
