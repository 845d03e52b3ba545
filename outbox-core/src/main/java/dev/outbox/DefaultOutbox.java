package dev.outbox;

import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.TopicRules;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.function.Supplier;

final class DefaultOutbox implements Outbox {
    private static final MessageSerializer MISSING = new MessageSerializer() {
        @Override
        public dev.outbox.spi.SerializedPayload serialize(String type, Object value) {
            throw new InvalidConfigurationException(
                    "no MessageSerializer is configured: set Outbox.builder().serializer(...) to append objects");
        }

        @Override
        public <T> T deserialize(String type, String contentType, byte[] payload, Class<T> target) {
            throw new InvalidConfigurationException("no MessageSerializer is configured");
        }
    };

    private final MessageStore store;
    private final MessageSerializer serializer;
    private final int maxPayloadBytes;
    private final int lanes;

    private final Supplier<Map<String, String>> contextHeaders;
    private final AppendInterceptor interceptor;
    private final TopicRules topicRules;

    DefaultOutbox(
            MessageStore store,
            MessageSerializer serializer,
            int maxPayloadBytes,
            Supplier<Map<String, String>> contextHeaders,
            AppendInterceptor interceptor,
            TopicRules topicRules) {
        this.topicRules = topicRules;
        this.contextHeaders = contextHeaders;
        this.interceptor = interceptor;
        this.store = store;
        this.serializer = serializer == null ? MISSING : serializer;
        this.maxPayloadBytes = maxPayloadBytes;
        this.lanes = store.lanes();
    }

    @Override
    public Appender in(Connection transaction) {
        if (transaction == null) {
            throw new TransactionRequiredException("the transaction's connection must not be null");
        }
        try {
            if (transaction.isClosed()) {
                throw new TransactionRequiredException("the connection is closed: append inside an open transaction");
            }
            if (transaction.getAutoCommit()) {
                throw new TransactionRequiredException(
                        "the connection is in auto-commit mode: append inside the transaction of your business"
                                + " writes, so the message is stored only if they commit");
            }
        } catch (SQLException e) {
            throw new StoreException("could not inspect the connection's transaction state", e);
        }
        Map<String, String> context;
        try {
            context = MessageChecks.headers(contextHeaders.get(), Envelope.RESERVED_HEADERS);
        } catch (InvalidMessageException e) {
            throw new InvalidMessageException("the outbox's contextHeaders gave a bad header: " + e.getMessage(), e);
        }
        return new DefaultAppender(
                transaction, store, serializer, maxPayloadBytes, lanes, context, interceptor, topicRules);
    }

    @Override
    public MessageStore store() {
        return store;
    }

    @Override
    public MessageSerializer serializer() {
        return serializer;
    }

    @Override
    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    @Override
    public TopicRules topicRules() {
        return topicRules;
    }
}
