package dev.outbox.spi;

import java.util.List;
import java.util.Objects;

/**
 * What {@link MessageStore#fetch} returns.
 *
 * <p>{@code messages} holds, in id order:
 *
 * <ul>
 *   <li>for each lane that is read, its visible messages with ids after its position, in id order: at most the
 *       lane's limit, and at most the request's limit over all lanes, oldest ids first;
 *   <li>for each lane of the request, its <em>late</em> messages: those with an id up to the lane's position that
 *       became visible since the request's mark. A late message may be returned again by a later fetch (the relay
 *       skips the ids it already has).
 * </ul>
 *
 * @param messages the messages, ordered by id
 * @param mark the mark to hand to the next fetch of the same lanes
 * @param readThrough every visible message of a read lane with an id up to this one was returned or was at or below
 *     the lane's position, unless the lane's own limit cut it short; a relay may move such a lane's position up to it
 * @param complete false when the store could not return every late message (a very large transaction committed
 *     late): the relay must then read its lanes again from the start ({@code after} 0), skipping what it has
 */
public record Fetched(List<StoredMessage> messages, ReadMark mark, long readThrough, boolean complete) {
    public Fetched {
        messages = List.copyOf(messages);
        Objects.requireNonNull(mark, "mark");
    }
}
