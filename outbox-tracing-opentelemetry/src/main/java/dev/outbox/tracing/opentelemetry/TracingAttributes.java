package dev.outbox.tracing.opentelemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attributes the outbox's spans carry: those of OpenTelemetry's messaging conventions, and the outbox's own under
 * {@code outbox.*}. For queries in a tracing backend, and for tests.
 *
 * <table>
 *   <caption>Which span carries what</caption>
 *   <tr><th>attribute</th><th>create (append)</th><th>publish (relay)</th><th>process (consumer)</th></tr>
 *   <tr><td>{@code messaging.system}</td><td>yes</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code messaging.destination.name} (the topic)</td><td>yes</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code messaging.operation.type}, {@code messaging.operation.name}</td><td>{@code create}</td>
 *       <td>{@code send}, {@code publish}</td><td>{@code process}</td></tr>
 *   <tr><td>{@code messaging.message.id}</td><td>yes, once stored</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code messaging.message.body.size}</td><td>yes</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code outbox.message.type}</td><td>yes</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code outbox.lane}</td><td>yes</td><td>yes</td><td></td></tr>
 *   <tr><td>{@code outbox.source}</td><td></td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code outbox.attempt}</td><td></td><td>yes</td><td></td></tr>
 *   <tr><td>{@code outbox.delivery_attempt}, {@code outbox.subscription}</td><td></td><td></td><td>yes</td></tr>
 *   <tr><td>{@code error.type} and an ERROR status, on failure</td><td>yes</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code outbox.error.retriable}, on failure</td><td></td><td>yes</td><td></td></tr>
 *   <tr><td>{@code outbox.dead_lettered}, on failure</td><td></td><td></td><td>yes</td></tr>
 *   <tr><td>{@code outbox.dedup.duplicate}, {@code outbox.dedup.consumer}</td><td></td><td></td>
 *       <td>with {@link TracingDedupListener}</td></tr>
 * </table>
 */
public final class TracingAttributes {
    private TracingAttributes() {}

    /** {@code messaging.system}: {@code kafka}, {@code rabbitmq}, ... */
    public static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");

    /** {@code messaging.destination.name}: the message's topic (on RabbitMQ, its routing key). */
    public static final AttributeKey<String> MESSAGING_DESTINATION_NAME =
            AttributeKey.stringKey("messaging.destination.name");

    /** {@code messaging.operation.type}: {@code create}, {@code send} or {@code process}. */
    public static final AttributeKey<String> MESSAGING_OPERATION_TYPE =
            AttributeKey.stringKey("messaging.operation.type");

    /** {@code messaging.operation.name}: {@code create}, {@code publish} or {@code process}; the span's first word. */
    public static final AttributeKey<String> MESSAGING_OPERATION_NAME =
            AttributeKey.stringKey("messaging.operation.name");

    /** {@code messaging.message.id}: the store's message id (unique together with {@code outbox.source}). */
    public static final AttributeKey<String> MESSAGING_MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");

    /** {@code messaging.message.body.size}: the payload's size in bytes. */
    public static final AttributeKey<Long> MESSAGING_MESSAGE_BODY_SIZE =
            AttributeKey.longKey("messaging.message.body.size");

    /** {@code messaging.consumer.group.name}: on Kafka, the subscription's consumer group. */
    public static final AttributeKey<String> MESSAGING_CONSUMER_GROUP_NAME =
            AttributeKey.stringKey("messaging.consumer.group.name");

    /** {@code error.type}: the class name of the exception a failed operation ended with. */
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** {@code outbox.source}: the producing service, as the relay sends it with the message. */
    public static final AttributeKey<String> SOURCE = AttributeKey.stringKey("outbox.source");

    /** {@code outbox.message.type}: the message's event type. */
    public static final AttributeKey<String> MESSAGE_TYPE = AttributeKey.stringKey("outbox.message.type");

    /** {@code outbox.lane}: the lane the message belongs to. */
    public static final AttributeKey<Long> LANE = AttributeKey.longKey("outbox.lane");

    /** {@code outbox.attempt}: which attempt of the relay to publish the message this is, from 1. */
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("outbox.attempt");

    /** {@code outbox.delivery_attempt}: which attempt of the subscriber to handle the message this is, from 1. */
    public static final AttributeKey<Long> DELIVERY_ATTEMPT = AttributeKey.longKey("outbox.delivery_attempt");

    /** {@code outbox.subscription}: the name of the subscription that handles the message. */
    public static final AttributeKey<String> SUBSCRIPTION = AttributeKey.stringKey("outbox.subscription");

    /** {@code outbox.error.retriable}: whether the relay retries a failed publish (else the lane stops). */
    public static final AttributeKey<Boolean> ERROR_RETRIABLE = AttributeKey.booleanKey("outbox.error.retriable");

    /** {@code outbox.dead_lettered}: the handler failed fatally or on its last attempt; the message is dead-lettered. */
    public static final AttributeKey<Boolean> DEAD_LETTERED = AttributeKey.booleanKey("outbox.dead_lettered");

    /** {@code outbox.dedup.duplicate}: true when the dedup module skipped the message as already processed. */
    public static final AttributeKey<Boolean> DUPLICATE = AttributeKey.booleanKey("outbox.dedup.duplicate");

    /** {@code outbox.dedup.consumer}: the dedup consumer that recorded (or recognised) the message. */
    public static final AttributeKey<String> DEDUP_CONSUMER = AttributeKey.stringKey("outbox.dedup.consumer");
}
