package dev.outbox;

import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.TopicRules;
import dev.outbox.spi.Validation;
import java.sql.Connection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The application's entry point: appends messages to the outbox inside the application's own transaction.
 *
 * <pre>{@code
 * Outbox outbox = Outbox.builder().store(store).serializer(serializer).build();
 * try (Connection c = dataSource.getConnection()) {
 *     c.setAutoCommit(false);
 *     // ... business writes on c ...
 *     outbox.in(c).event("Warehouse.Events.ProductQuantityIncreased", sku, new QuantityIncreased(sku, 5));
 *     c.commit();
 * }
 * }</pre>
 *
 * <p>Thread-safe; build one per application and share it.
 */
public interface Outbox {

    /**
     * An appender bound to the caller's transaction.
     *
     * @param transaction a connection inside a transaction (auto-commit off); the outbox writes through it and never
     *     commits, rolls back or closes it
     * @throws TransactionRequiredException if the connection is null, closed or in auto-commit mode
     */
    Appender in(Connection transaction);

    /** The store messages are appended to. */
    MessageStore store();

    /** The serializer for events, notifications and entities. */
    MessageSerializer serializer();

    /** The largest payload accepted, in bytes, the message's headers included. */
    int maxPayloadBytes();

    /** The rules topics are checked against at append. Default {@link TopicRules#NEUTRAL}. */
    default TopicRules topicRules() {
        return TopicRules.NEUTRAL;
    }

    /** A builder. */
    static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link Outbox}. Not thread-safe. */
    final class Builder {
        /** Default largest payload: 1 MiB, Kafka's default largest message. */
        public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

        /** The largest {@link #maxPayloadBytes} accepted: 256 MiB, well inside what PostgreSQL and RabbitMQ hold. */
        public static final int MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

        private MessageStore store;
        private MessageSerializer serializer;
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
        private Supplier<Map<String, String>> contextHeaders = Map::of;
        private AppendInterceptor interceptor = AppendInterceptor.NONE;
        private TopicRules topicRules = TopicRules.NEUTRAL;

        private Builder() {}

        /** The store. Required. */
        public Builder store(MessageStore store) {
            this.store = store;
            return this;
        }

        /**
         * The serializer for typed events. Required to append objects; plain {@link Message}s need none. Default:
         * none, and appending an object then fails with {@link InvalidConfigurationException}.
         */
        public Builder serializer(MessageSerializer serializer) {
            this.serializer = serializer;
            return this;
        }

        /**
         * The largest payload accepted, in bytes, the bytes of the message's headers ({@link Message#headerBytes()})
         * included. Default {@value #DEFAULT_MAX_PAYLOAD_BYTES}; at most {@value #MAX_PAYLOAD_BYTES}.
         */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /**
         * Headers taken from the caller's context each time an appender is opened ({@link Outbox#in}), on the
         * caller's thread: typically the W3C {@code traceparent} (and {@code tracestate}) of the current trace, so
         * that consumers continue it. Headers given with {@link Appender#withHeaders} or on a {@link Message} win over
         * these. Default: none. The tracing module's {@code OutboxTracing.contextHeaders()} is such a supplier; its
         * {@code appendInterceptor()}, set with {@link #interceptor}, also records a span per appended message. By
         * hand:
         *
         * <pre>{@code
         * .contextHeaders(() -> {
         *     Map<String, String> carrier = new HashMap<>();
         *     GlobalOpenTelemetry.getPropagators().getTextMapPropagator()
         *             .inject(Context.current(), carrier, Map::put);
         *     return carrier;
         * })
         * }</pre>
         */
        public Builder contextHeaders(Supplier<Map<String, String>> contextHeaders) {
            this.contextHeaders = contextHeaders;
            return this;
        }

        /**
         * Runs around every append, after the messages are validated and the context headers added: the tracing
         * module's span per appended message ({@code OutboxTracing.appendInterceptor()}). Default {@link
         * AppendInterceptor#NONE}.
         */
        public Builder interceptor(AppendInterceptor interceptor) {
            this.interceptor = interceptor;
            return this;
        }

        /**
         * The topics the broker can take: a topic they refuse is refused at append with an {@link
         * InvalidMessageException}, and nothing is written. Pass the broker's own, {@code broker.topicRules()} (the
         * Guice {@code OutboxModule} does). Default {@link TopicRules#NEUTRAL}, which checks only what every {@link
         * Message} obeys.
         */
        public Builder topicRules(TopicRules topicRules) {
            this.topicRules = topicRules;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting */
        public Outbox build() {
            Validation.notNull(store, "store");
            Validation.positive(maxPayloadBytes, MAX_PAYLOAD_BYTES, "maxPayloadBytes");
            Validation.notNull(contextHeaders, "contextHeaders");
            Validation.notNull(interceptor, "interceptor");
            Validation.notNull(topicRules, "topicRules");
            return new DefaultOutbox(store, serializer, maxPayloadBytes, contextHeaders, interceptor, topicRules);
        }
    }
}
