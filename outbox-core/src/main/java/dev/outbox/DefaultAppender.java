package dev.outbox;

import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.NewMessage;
import dev.outbox.spi.SerializedPayload;
import dev.outbox.spi.TopicRules;
import dev.outbox.spi.Validation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

final class DefaultAppender implements Appender {
    private final Connection transaction;
    private final MessageStore store;
    private final MessageSerializer serializer;
    private final int maxPayloadBytes;
    private final int lanes;
    private final Map<String, String> defaultHeaders;
    private final AppendInterceptor interceptor;
    private final TopicRules topicRules;

    DefaultAppender(
            Connection transaction,
            MessageStore store,
            MessageSerializer serializer,
            int maxPayloadBytes,
            int lanes,
            Map<String, String> defaultHeaders,
            AppendInterceptor interceptor,
            TopicRules topicRules) {
        this.topicRules = topicRules;
        this.transaction = transaction;
        this.store = store;
        this.serializer = serializer;
        this.maxPayloadBytes = maxPayloadBytes;
        this.lanes = lanes;
        this.defaultHeaders = defaultHeaders;
        this.interceptor = interceptor;
    }

    @Override
    public MessageId append(Message message) {
        return appendAll(List.of(checkNotNull(message))).get(0);
    }

    @Override
    public List<MessageId> appendAll(List<Message> messages) {
        if (messages == null) {
            throw new InvalidMessageException("messages must not be null");
        }
        List<NewMessage> rows = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m == null) {
                throw new InvalidMessageException("messages[" + i + "] must not be null");
            }
            checkTopic(m.topic(), "messages[" + i + "]");
            if (!defaultHeaders.isEmpty()) {
                Map<String, String> merged = new LinkedHashMap<>(defaultHeaders);
                merged.putAll(m.headers());
                try {
                    m = new Message(m.topic(), m.key(), m.type(), m.contentType(), m.payload(), merged);
                } catch (InvalidMessageException e) {
                    throw new InvalidMessageException(
                            "messages[" + i + "] (topic " + Validation.quote(m.topic())
                                    + ") with the appender's headers: " + e.getMessage(),
                            e);
                }
            }
            long size = (long) m.payloadSize() + m.headerBytes();
            if (size > maxPayloadBytes) {
                throw new InvalidMessageException("payload of " + m.payloadSize() + " bytes and headers of "
                        + m.headerBytes() + " bytes (topic " + Validation.quote(m.topic())
                        + ") are over the outbox's maxPayloadBytes of " + maxPayloadBytes);
            }
            rows.add(new NewMessage(Lanes.laneOf(m.topic(), m.key(), lanes), m));
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        if (interceptor == AppendInterceptor.NONE) {
            return store.append(transaction, rows);
        }
        return intercepted(List.copyOf(rows));
    }

    /** The append through the interceptor, which may add headers and nothing else, and must append exactly once. */
    private List<MessageId> intercepted(List<NewMessage> rows) {
        boolean[] appended = new boolean[1];
        List<MessageId> ids = interceptor.intercept(rows, passed -> {
            if (appended[0]) {
                throw new InvalidConfigurationException("the outbox's interceptor " + interceptor
                        + " appended twice: it must call next.append exactly once");
            }
            appended[0] = true;
            return store.append(transaction, List.copyOf(sameMessages(rows, passed)));
        });
        if (!appended[0]) {
            throw new InvalidConfigurationException("the outbox's interceptor " + interceptor
                    + " did not append: it must call next.append exactly once");
        }
        if (ids == null || ids.size() != rows.size()) {
            throw new InvalidConfigurationException("the outbox's interceptor " + interceptor + " returned "
                    + (ids == null ? "null" : ids.size() + " ids") + " for " + rows.size() + " messages");
        }
        return ids;
    }

    private List<NewMessage> sameMessages(List<NewMessage> given, List<NewMessage> passed) {
        if (passed == null || passed.size() != given.size()) {
            throw new InvalidConfigurationException("the outbox's interceptor " + interceptor + " passed on "
                    + (passed == null ? "null" : passed.size() + " messages") + " for " + given.size());
        }
        for (int i = 0; i < given.size(); i++) {
            NewMessage g = given.get(i);
            NewMessage p = passed.get(i);
            if (p == g) {
                continue;
            }
            Message a = g.message();
            Message b = p == null ? null : p.message();
            if (b == null
                    || p.lane() != g.lane()
                    || !a.topic().equals(b.topic())
                    || !Objects.equals(a.key(), b.key())
                    || !a.type().equals(b.type())
                    || !a.contentType().equals(b.contentType())
                    || !a.samePayload(b)) {
                throw new InvalidConfigurationException(
                        "the outbox's interceptor " + interceptor + " changed message " + i + " beyond its headers");
            }
        }
        return passed;
    }

    @Override
    public MessageId event(String topic, Object event) {
        checkObject(event, "event");
        return event(topic, event instanceof Keyed k ? keyOf(k) : null, typeOf(event), event);
    }

    @Override
    public MessageId event(String topic, String key, Object event) {
        checkObject(event, "event");
        return event(topic, key, typeOf(event), event);
    }

    @Override
    public MessageId event(String topic, String key, String type, Object event) {
        checkObject(event, "event");
        // Validate the cheap fields before paying for serialization.
        MessageChecks.name(topic, "topic", Message.MAX_TOPIC_LENGTH);
        checkTopic(topic, "topic");
        MessageChecks.optionalText(key, "key", 1024);
        MessageChecks.name(type, "type", 255);
        SerializedPayload payload;
        try {
            payload = serializer.serialize(type, event);
        } catch (OutboxException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidMessageException(
                    "could not serialize " + event.getClass().getName() + " as " + type + ": " + e.getMessage(), e);
        }
        return append(new Message(topic, key, type, payload.contentType(), payload.bytes(), payload.headers()));
    }

    @Override
    public MessageId entity(String topic, EntityChange change, Object entity) {
        checkObject(entity, "entity");
        if (change == null) {
            throw new InvalidMessageException("change must not be null");
        }
        if (!(entity instanceof Keyed k)) {
            throw new InvalidMessageException("entity " + entity.getClass().getName()
                    + " must implement dev.outbox.Keyed so its changes are ordered by its key");
        }
        return event(topic, keyOf(k), typeOf(entity) + "." + change.wireName(), entity);
    }

    @Override
    public MessageId notification(String topic, String recipient, Object payload) {
        checkObject(payload, "payload");
        MessageChecks.text(recipient, "recipient", 1024);
        return event(topic, recipient, typeOf(payload), payload);
    }

    @Override
    public Appender withHeaders(Map<String, String> headers) {
        Map<String, String> merged = new LinkedHashMap<>(defaultHeaders);
        merged.putAll(MessageChecks.headers(headers, Envelope.RESERVED_HEADERS));
        return new DefaultAppender(
                transaction,
                store,
                serializer,
                maxPayloadBytes,
                lanes,
                MessageChecks.headers(merged, Envelope.RESERVED_HEADERS),
                interceptor,
                topicRules);
    }

    /** The broker's rules; a rule that fails with anything but an InvalidMessageException is a bug of the rules. */
    private void checkTopic(String topic, String what) {
        try {
            topicRules.check(topic);
        } catch (InvalidMessageException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidMessageException(
                    what + ": the broker's topic rules refused " + Validation.quote(topic) + ": " + e, e);
        }
    }

    static String typeOf(Object value) {
        EventType annotation = value.getClass().getAnnotation(EventType.class);
        if (annotation != null) {
            return MessageChecks.name(
                    annotation.value(), "@EventType on " + value.getClass().getName(), 255);
        }
        String simple = value.getClass().getSimpleName();
        if (simple.isEmpty()) {
            throw new InvalidMessageException("cannot name the type of an anonymous "
                    + value.getClass().getName() + ": annotate a named class with @EventType or pass a type");
        }
        return simple;
    }

    private static String keyOf(Keyed keyed) {
        String key = keyed.partitionKey();
        if (key == null) {
            throw new InvalidMessageException(keyed.getClass().getName() + ".partitionKey() returned null");
        }
        return key;
    }

    private static Message checkNotNull(Message message) {
        if (message == null) {
            throw new InvalidMessageException("message must not be null");
        }
        return message;
    }

    private static void checkObject(Object value, String name) {
        if (value == null) {
            throw new InvalidMessageException(name + " must not be null");
        }
    }
}
