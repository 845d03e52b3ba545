package dev.outbox;

/**
 * An event or entity that knows its own partition key, so {@link Appender#event(String, Object)} can order it with
 * the other events of the same aggregate without the key being passed each time.
 */
public interface Keyed {
    /** The partition key, e.g. the aggregate's id; not null. */
    String partitionKey();
}
