package dev.outbox.spring;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageHandler;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Validation;

/**
 * A subscription declared as a bean: the starter subscribes it to the broker when the application starts and closes it
 * when it stops.
 *
 * <p>{@link #exactlyOnce} is the idiomatic consumer (G5): the handler runs in a Spring transaction of the application's
 * transaction manager, which also records the message id in the dedup table ({@code outbox_processed_message}); both
 * commit together, so a redelivered message is skipped. The handler writes with JdbcTemplate, JdbcClient or JPA
 * repositories as anywhere else in a {@code @Transactional} method, and may append to the outbox in turn. A handler
 * that throws rolls back its writes and the record, and the subscriber retries the message, then dead-letters it.
 *
 * <pre>{@code
 * @Bean
 * OutboxSubscriber productsView(JdbcClient jdbc, MessageSerializer serializer) {
 *     return OutboxSubscriber.exactlyOnce(
 *             SubscriptionSpec.builder("products-view").patterns("Warehouse.Events.#").build(),
 *             message -> jdbc.sql("update products_view ...").update());
 * }
 * }</pre>
 *
 * @param spec the subscription: its name is also the consumer's name in the dedup table
 * @param handler the consumer's code
 * @param exactlyOnce whether the handler runs in a transaction with the dedup record
 */
public record OutboxSubscriber(SubscriptionSpec spec, MessageHandler handler, boolean exactlyOnce) {

    /** @throws InvalidConfigurationException if the spec or the handler is null */
    public OutboxSubscriber {
        Validation.notNull(spec, "spec");
        Validation.notNull(handler, "handler");
    }

    /**
     * A consumer that takes effect once per message: the handler runs in a Spring transaction together with the dedup
     * record.
     */
    public static OutboxSubscriber exactlyOnce(SubscriptionSpec spec, MessageHandler handler) {
        return new OutboxSubscriber(spec, handler, true);
    }

    /**
     * A plain consumer: the handler runs outside any transaction, once or more per message (the broker delivers at
     * least once); it must be idempotent on its own.
     */
    public static OutboxSubscriber atLeastOnce(SubscriptionSpec spec, MessageHandler handler) {
        return new OutboxSubscriber(spec, handler, false);
    }
}
