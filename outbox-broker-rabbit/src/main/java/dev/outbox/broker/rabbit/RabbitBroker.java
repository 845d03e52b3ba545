package dev.outbox.broker.rabbit;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageHandler;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.rabbit.internal.ManagedConnection;
import dev.outbox.broker.rabbit.internal.Publisher;
import dev.outbox.broker.rabbit.internal.RabbitSubscription;
import dev.outbox.broker.rabbit.internal.RoutingKeyRules;
import dev.outbox.spi.Broker;
import dev.outbox.spi.TopicRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Broker} on RabbitMQ.
 *
 * <p><b>Publishing.</b> Every message goes to one durable topic exchange ({@link RabbitBrokerSettings#exchange()},
 * {@code messaging} by default) with the message's topic as routing key, persistent, {@code mandatory}, and its
 * envelope in AMQP properties ({@code messageId}, {@code type}, {@code contentType}, {@code appId} = source, {@code
 * timestamp} = created at, to the second) and in headers ({@link dev.outbox.Envelope#toHeaders()}, with the exact
 * creation time, the partition key and the user's headers such as {@code traceparent}). A message's future completes
 * when RabbitMQ confirms it (publisher confirms, tracked asynchronously, at most {@link
 * RabbitBrokerSettings#confirmWindow()} in flight), and fails with
 *
 * <ul>
 *   <li>{@link dev.outbox.FatalException} when no queue is bound for its routing key (RabbitMQ returns it), when it
 *       is larger than {@link RabbitBrokerSettings#maxMessageBytes()} or its topic longer than a routing key may be,
 *       or when RabbitMQ refuses access or the exchange (missing in {@code CHECK} mode, or of another type);
 *   <li>{@link dev.outbox.RetriableException} on a negative confirm, on no confirm within {@link
 *       RabbitBrokerSettings#publishTimeout()}, when the connection was lost before the confirm came (the message may
 *       have arrived: a retry sends it again with the same message id), while RabbitMQ blocks the connection for a
 *       memory or disk alarm, and while the broker cannot be reached.
 * </ul>
 *
 * Messages are sent in list order, one batch after the other, on one channel. When one cannot be sent, the later ones
 * of the batch are not sent either (those of its topic and key only, when the message itself was at fault), so none
 * overtakes a failed one.
 *
 * <p><b>Connections.</b> Nothing connects before the first {@link #publish}, {@link #subscribe} or {@link #connect()}.
 * Publishing and consuming use one connection each, so that flow control on publishes never stalls consumers. A lost
 * connection is opened again on demand, at most once per {@link RabbitBrokerSettings#reconnectBackoff()}, and
 * subscriptions come back by themselves.
 *
 * <p><b>Consuming.</b> See {@link #subscribe}.
 *
 * <p>Thread-safe. Threads are named {@code outbox-rabbit-...} and stopped by {@link #close()}.
 */
public final class RabbitBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RabbitBroker.class);

    private final RabbitBrokerSettings settings;
    private final Object lifecycle = new Object();
    private final Set<RabbitSubscription> subscriptions = ConcurrentHashMap.newKeySet();

    // Guarded by lifecycle.
    private ManagedConnection publishing;
    private ManagedConnection consuming;
    private Publisher publisher;
    private boolean closed;

    private RabbitBroker(RabbitBrokerSettings settings) {
        this.settings = settings;
    }

    /**
     * A broker with {@code settings}. It does not connect yet.
     *
     * @throws InvalidConfigurationException if {@code settings} is null
     */
    public static RabbitBroker create(RabbitBrokerSettings settings) {
        if (settings == null) {
            throw new InvalidConfigurationException("settings must not be null");
        }
        return new RabbitBroker(settings);
    }

    /** The settings it was created with. */
    public RabbitBrokerSettings settings() {
        return settings;
    }

    /**
     * Connects for publishing now rather than at the first {@link #publish}, to find out early whether RabbitMQ can be
     * reached.
     *
     * @throws dev.outbox.RetriableException when it cannot be reached
     * @throws dev.outbox.FatalException when it refuses the credentials or the virtual host
     * @throws IllegalStateException after {@link #close()}
     */
    public void connect() {
        publisher();
        publishingConnection().get();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Does not block on the broker: messages are queued for the publishing thread, which sends them in list order.
     *
     * @throws InvalidMessageException if {@code messages} or one of them is null
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        if (messages == null) {
            throw new InvalidMessageException("messages must not be null");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new InvalidMessageException("messages[" + i + "] must not be null");
            }
        }
        if (messages.isEmpty()) {
            return new ArrayList<>();
        }
        return publisher().publish(messages);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Declares (idempotently) a durable queue {@code <queuePrefix>.<spec.name()>} bound to the exchange with each of
     * {@code spec.patterns()}, and a durable fanout exchange with a durable queue, both named {@code
     * <queuePrefix>.<spec.deadLetterOrDefault()>}, for dead letters. Several subscribers with the same name share the
     * queue (competing consumers); different names each get every matching message.
     *
     * <p>Up to {@code spec.concurrency()} messages are handled at once, those of one topic and partition key one after
     * the other in queue order. The channel holds at most {@link RabbitBrokerSettings#prefetch()} (at least {@code
     * concurrency}) unacknowledged messages. A message is acknowledged after the handler returns. When it throws, the
     * message is tried again after {@code spec.backoff()}, up to {@code spec.maxAttempts()} attempts in all (a {@link
     * dev.outbox.FatalException} ends them at once); then it is published to the dead-letter exchange with its
     * properties and headers plus the error and where it came from ({@link dev.outbox.DeadLetterHeaders}), and
     * acknowledged:
     * never requeued. A message without a valid envelope goes there at
     * once, without reaching the handler. Retries are counted in memory: after a crash or a lost channel the broker
     * redelivers and counting starts again at 1.
     *
     * <p>When RabbitMQ cannot be reached, the subscription is returned anyway and starts as soon as it can; a lost
     * channel or connection is replaced after {@link RabbitBrokerSettings#reconnectBackoff()}.
     *
     * @throws InvalidConfigurationException if {@code spec} or {@code handler} is null, or the dead-letter name is not
     *     a valid RabbitMQ name
     * @throws dev.outbox.FatalException when RabbitMQ refuses the topology (access refused, the queue exists with other
     *     arguments)
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        if (spec == null) {
            throw new InvalidConfigurationException("spec must not be null");
        }
        if (handler == null) {
            throw new InvalidConfigurationException("handler must not be null");
        }
        ManagedConnection connection;
        synchronized (lifecycle) {
            checkOpen();
            if (consuming == null) {
                consuming = new ManagedConnection(settings, "consumer");
            }
            connection = consuming;
        }
        RabbitSubscription[] self = new RabbitSubscription[1];
        RabbitSubscription subscription =
                new RabbitSubscription(settings, spec, handler, connection, () -> subscriptions.remove(self[0]));
        self[0] = subscription;
        subscriptions.add(subscription);
        try {
            subscription.start();
        } catch (RuntimeException e) {
            subscriptions.remove(subscription);
            throw e;
        }
        return subscription;
    }

    private Publisher publisher() {
        synchronized (lifecycle) {
            checkOpen();
            if (publisher == null) {
                publishing = new ManagedConnection(settings, "publisher");
                publisher = new Publisher(settings, publishing);
                publisher.start();
            }
            return publisher;
        }
    }

    private ManagedConnection publishingConnection() {
        synchronized (lifecycle) {
            checkOpen();
            return publishing;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the RabbitMQ broker is closed");
        }
    }

    /**
     * RabbitMQ's routing keys: at most 255 bytes in UTF-8, no control characters. The outbox refuses other topics at
     * append.
     */
    @Override
    public TopicRules topicRules() {
        return RoutingKeyRules.INSTANCE;
    }

    /** {@code rabbitmq}. */
    @Override
    public String messagingSystem() {
        return "rabbitmq";
    }

    /**
     * Closes every subscription (their handlers in progress may finish), waits for the confirms of messages in flight,
     * fails the rest retriably and closes the connections, each step within {@link
     * RabbitBrokerSettings#closeTimeout()}; idempotent.
     */
    @Override
    public void close() {
        Publisher p;
        ManagedConnection pub;
        ManagedConnection con;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            p = publisher;
            pub = publishing;
            con = consuming;
        }
        for (RabbitSubscription s : List.copyOf(subscriptions)) {
            s.close();
        }
        if (p != null) {
            p.close();
        }
        if (pub != null) {
            pub.close();
        }
        if (con != null) {
            con.close();
        }
        log.info("RabbitMQ broker for {} closed", settings.maskedUri());
    }
}
