package dev.outbox.spi;

import dev.outbox.MessageId;
import java.util.List;

/**
 * Runs around every append of an {@link dev.outbox.Outbox}, on the caller's thread and inside the caller's
 * transaction: it sees the validated messages just before the store writes them, may add headers to them, and sees
 * the outcome. The tracing module uses it to record a span per appended message and to store that span's context in
 * the message's headers. Set it with {@code Outbox.builder().interceptor(...)}.
 *
 * <p>An implementation must call {@code next.append} exactly once and return what it returned; the messages it passes
 * on must be the ones it was given, in the same order, with only their headers changed (the topic, key, lane, type,
 * content type and payload stay). The outbox checks this and throws {@link
 * dev.outbox.InvalidConfigurationException} when an interceptor breaks it. Whatever {@code next.append} throws should
 * be rethrown unchanged; an exception the interceptor throws itself fails the append (the caller should roll back).
 *
 * <p>Implementations are shared by every appender of the outbox, so they must be thread-safe.
 */
@FunctionalInterface
public interface AppendInterceptor {

    /** An interceptor that passes the messages on untouched: the outbox's default. */
    AppendInterceptor NONE = (messages, next) -> next.append(messages);

    /**
     * Appends {@code messages} through {@code next}.
     *
     * @param messages the messages about to be stored, validated, in append order; never empty
     * @param next the store's append, in the caller's transaction
     * @return the ids {@code next.append} returned, in the same order
     */
    List<MessageId> intercept(List<NewMessage> messages, Next next);

    /** The rest of the append: the store writing the messages in the caller's transaction. */
    @FunctionalInterface
    interface Next {
        /**
         * Writes the messages.
         *
         * @return their ids, in list order
         * @throws dev.outbox.StoreException if the database failed
         */
        List<MessageId> append(List<NewMessage> messages);
    }
}
