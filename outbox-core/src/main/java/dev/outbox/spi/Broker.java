package dev.outbox.spi;

import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A message broker: publishes the relay's batches and delivers messages to subscribers.
 *
 * <p>Implementations are thread-safe. An implementation should pass the published contract test in {@code
 * outbox-testkit} ({@code BrokerContract}).
 */
public interface Broker extends AutoCloseable {

    /**
     * Publishes a batch with many messages in flight at once.
     *
     * <p>Messages are handed to the broker in list order, so two messages with the same topic and key reach it in that
     * order. The call itself does not wait for the broker: it returns one future per message, in list order, which
     * completes normally once the broker has acknowledged the message durably (Kafka {@code acks=all}, a RabbitMQ
     * publisher confirm), or exceptionally with
     *
     * <ul>
     *   <li>a {@link dev.outbox.RetriableException} when trying again may succeed (timeouts, a broker restarting, a
     *       negative confirm, a lost connection), or
     *   <li>a {@link dev.outbox.FatalException} when it will not (too large, invalid topic, unroutable, not
     *       authorised).
     * </ul>
     *
     * A message that was not acknowledged is never reported as published. Any other exception counts as retriable.
     *
     * <p>Order: a failure must not let a later message of the same topic and key overtake the failed one. When an
     * adapter learns that a message failed before it has handed a later message of the same key to the broker (a
     * record too large, refused on send), it fails that later message too, with a {@link
     * dev.outbox.RetriableException}, instead of sending it.
     */
    List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages);

    /**
     * Starts delivering messages that match {@code spec} to {@code handler}. A message is acknowledged after the
     * handler returns; a handler failure is retried {@code spec.maxAttempts()} times with backoff, then the message is
     * sent to the dead-letter destination. A message without a valid envelope is dead-lettered at once.
     *
     * @return the running subscription; close it to stop
     */
    Subscription subscribe(SubscriptionSpec spec, MessageHandler handler);

    /**
     * The messaging system's name as OpenTelemetry's messaging conventions spell it ({@code kafka}, {@code rabbitmq}),
     * for traces and logs. Default {@code unknown}: adapters override it.
     */
    default String messagingSystem() {
        return "unknown";
    }

    /**
     * The topics this broker can take, checked by the outbox at append so that a topic it would refuse is refused at
     * the call that named it (G6). Default {@link TopicRules#NEUTRAL}: adapters override it.
     */
    default TopicRules topicRules() {
        return TopicRules.NEUTRAL;
    }

    /**
     * Whether this broker publishes each {@link #publish} call atomically and exactly once (a Kafka transaction, with
     * what it delivered recorded in the same transaction). The relay then keeps one batch in flight per worker, deletes
     * it before it publishes the next, and calls {@link #takeOver} for every lane it claims before reading it. Default
     * false: at-least-once, with many messages in flight.
     */
    default boolean transactional() {
        return false;
    }

    /**
     * For a {@link #transactional()} broker: the relay has just claimed these lanes under new epochs and is about to
     * read them. The broker fences whoever published them before (so that an open transaction of a relay that lost
     * them can never commit), and returns, per lane, the ids that were published and committed there, which the
     * previous owner may not have deleted: the relay deletes them instead of publishing them again. Lanes with nothing
     * to report may be left out. Default: nothing is known.
     *
     * @throws dev.outbox.RetriableException when the broker cannot answer now (the relay tries again before it reads
     *     those lanes)
     */
    default Map<Integer, Set<MessageId>> takeOver(Collection<LaneClaim> lanes) {
        return Map.of();
    }

    /** Flushes what can be flushed within a bound and closes connections; idempotent. */
    @Override
    void close();
}
