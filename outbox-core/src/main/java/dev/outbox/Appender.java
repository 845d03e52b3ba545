package dev.outbox;

import java.util.List;
import java.util.Map;

/**
 * Appends messages in one transaction: the caller's. Obtained from {@link Outbox#in(java.sql.Connection)} for the
 * duration of that transaction; a message appended here is stored if and only if the transaction commits.
 *
 * <p>Every method validates its input first and throws {@link InvalidMessageException} (naming the problem) before
 * anything is written. A failure of the database throws {@link StoreException}; the caller should roll back. An
 * append on a transaction that an earlier failed statement aborted throws {@link TransactionAbortedException}.
 *
 * <p>Not thread-safe, like the connection it writes through.
 */
public interface Appender {

    /** Appends a message that is already serialized. */
    MessageId append(Message message);

    /** Appends several messages in one statement, in list order. */
    List<MessageId> appendAll(List<Message> messages);

    /**
     * Appends an event. The partition key is the event's {@link Keyed#partitionKey()} if it is {@link Keyed}, else
     * none; the type is its class's {@link EventType} or simple name.
     */
    MessageId event(String topic, Object event);

    /** Appends an event with the given partition key; the type is its class's {@link EventType} or simple name. */
    MessageId event(String topic, String key, Object event);

    /** Appends an event with the given partition key and type name. */
    MessageId event(String topic, String key, String type, Object event);

    /**
     * Appends what happened to an entity: the entity itself, with type {@code <EntityType>.<change>} (e.g. {@code
     * Product.created}) and the entity's {@link Keyed#partitionKey()} as key, so all changes of one entity stay in
     * order.
     *
     * @throws InvalidMessageException if the entity is not {@link Keyed}
     */
    MessageId entity(String topic, EntityChange change, Object entity);

    /**
     * Appends a real-time notification for one recipient (a user session, a device): the payload goes to {@code
     * topic} keyed by {@code recipient}, so one recipient's notifications stay in order.
     */
    MessageId notification(String topic, String recipient, Object payload);

    /**
     * An appender that adds these headers to every message it appends (e.g. a W3C {@code traceparent}); headers given
     * on a {@link Message} win over these.
     */
    Appender withHeaders(Map<String, String> headers);
}
