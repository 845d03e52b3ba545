package dev.outbox.broker.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.ShutdownSignalException;
import dev.outbox.DeadLetterHeaders;
import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageHandler;
import dev.outbox.OutboxException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscriber: a durable queue bound to the exchange with the spec's patterns, consumed with manual acks.
 *
 * <p>Threads: the AMQP client's consumer thread decodes each delivery and hands it to one of {@code concurrency}
 * single-threaded lanes chosen by topic and partition key ({@code outbox-rabbit-sub-<name>-<lane>}), so messages of one
 * key are handled one at a time, in queue order, and a message being retried holds back the later ones of its key.
 * {@code outbox-rabbit-sub-<name>-recovery} opens a new channel after the old one was lost.
 *
 * <p>A failing message is retried in its lane with the spec's backoff, then published with the error to the
 * dead-letter exchange and acknowledged; it is never requeued, so a poison message cannot loop. If that publish fails
 * the message is rejected, and the queue's own dead-letter exchange (the same one) takes it.
 */
public final class RabbitSubscription implements Subscription {
    private static final Logger log = LoggerFactory.getLogger(RabbitSubscription.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    private final RabbitBrokerSettings settings;
    private final SubscriptionSpec spec;
    private final MessageHandler handler;
    private final ManagedConnection connection;
    private final Runnable onClose;
    private final String queue;
    private final String deadLetter;
    private final String consumerTag;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Object lock = new Object();
    private final Object deadLetterLock = new Object();

    private ExecutorService[] lanes;
    private ScheduledExecutorService recovery;

    // Guarded by lock.
    private Channel channel;
    private boolean closed;

    // Guarded by deadLetterLock.
    private Channel deadLetterChannel;

    /**
     * @param onClose run once when the subscription is closed (the broker forgets it)
     * @throws InvalidConfigurationException for a dead-letter name RabbitMQ cannot take
     */
    public RabbitSubscription(
            RabbitBrokerSettings settings,
            SubscriptionSpec spec,
            MessageHandler handler,
            ManagedConnection connection,
            Runnable onClose) {
        this.settings = settings;
        this.spec = spec;
        this.handler = handler;
        this.connection = connection;
        this.onClose = onClose;
        if (!NAME.matcher(spec.deadLetterOrDefault()).matches()) {
            throw new InvalidConfigurationException("deadLetter must be at most 200 letters, digits, '.', '_', ':'"
                    + " or '-' for RabbitMQ, was '" + spec.deadLetterOrDefault() + "'");
        }
        this.queue = Topology.prefixed(settings, spec.name());
        this.deadLetter = Topology.prefixed(settings, spec.deadLetterOrDefault());
        this.consumerTag = "outbox-" + spec.name() + "-" + UUID.randomUUID();
    }

    /** The queue this subscription consumes. */
    public String queue() {
        return queue;
    }

    /** The dead-letter exchange and queue (same name). */
    public String deadLetter() {
        return deadLetter;
    }

    @Override
    public SubscriptionSpec spec() {
        return spec;
    }

    /**
     * Declares the topology and starts consuming. When the broker cannot be reached now, keeps trying in the background
     * (logged) and returns.
     *
     * @throws FatalException when the broker refuses the topology (access refused, a queue declared elsewhere with
     *     other arguments, a missing exchange that may only be checked)
     */
    public void start() {
        lanes = new ExecutorService[spec.concurrency()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = Executors.newSingleThreadExecutor(Threads.single("sub-" + spec.name() + "-" + i));
        }
        recovery = Executors.newSingleThreadScheduledExecutor(Threads.single("sub-" + spec.name() + "-recovery"));
        try {
            attach();
            log.info(
                    "subscription {} consumes queue {} bound to {} with {}",
                    spec.name(),
                    queue,
                    settings.exchange(),
                    spec.patterns());
        } catch (FatalException e) {
            close();
            throw e;
        } catch (OutboxException e) {
            log.warn("subscription {} cannot start yet, retrying in the background: {}", spec.name(), e.getMessage());
            scheduleRecovery(1);
        }
    }

    private void attach() {
        Connection c = connection.get();
        Channel ch = null;
        try {
            ch = c.createChannel();
            if (ch == null) {
                throw new dev.outbox.RetriableException("RabbitMQ has no channel left on the consuming connection");
            }
            Topology.subscription(ch, settings, queue, spec.patterns(), deadLetter);
            ch.basicQos(Math.max(settings.prefetch(), spec.concurrency()));
            Channel mine = ch;
            ch.addShutdownListener(sse -> lost(mine, sse));
            synchronized (lock) {
                if (closed) {
                    ManagedConnection.closeQuietly(ch);
                    return;
                }
                channel = ch;
            }
            ch.basicConsume(queue, false, consumerTag, new Deliveries(ch));
        } catch (IOException | ShutdownSignalException e) {
            ManagedConnection.closeQuietly(ch);
            throw AmqpErrors.translate("cannot subscribe " + spec.name() + " to queue " + queue, e);
        }
    }

    private void lost(Channel ch, ShutdownSignalException cause) {
        synchronized (lock) {
            if (channel != ch) {
                return;
            }
            channel = null;
            if (closed || cause.isInitiatedByApplication()) {
                return;
            }
        }
        log.warn(
                "subscription {} lost its channel ({}); unacknowledged messages will be redelivered, resubscribing",
                spec.name(),
                AmqpErrors.describe(cause));
        scheduleRecovery(1);
    }

    private void scheduleRecovery(int attempt) {
        Duration delay = settings.reconnectBackoff().delay(attempt);
        try {
            recovery.schedule(() -> recover(attempt), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void recover(int attempt) {
        synchronized (lock) {
            if (closed || channel != null) {
                return;
            }
        }
        try {
            attach();
            log.info("subscription {} consumes queue {} again", spec.name(), queue);
        } catch (OutboxException e) {
            log.debug("subscription {}: attempt {} to resubscribe failed: {}", spec.name(), attempt, e.getMessage());
            scheduleRecovery(attempt + 1);
        }
    }

    // --- deliveries ----------------------------------------------------------------------------------------------

    /** A delivery and the channel it must be acknowledged on. */
    private record Delivery(
            Channel channel,
            long tag,
            String exchange,
            String routingKey,
            AMQP.BasicProperties properties,
            byte[] body) {}

    private final class Deliveries extends DefaultConsumer {
        Deliveries(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(
                String tag, com.rabbitmq.client.Envelope amqp, AMQP.BasicProperties properties, byte[] body) {
            Delivery d = new Delivery(
                    getChannel(), amqp.getDeliveryTag(), amqp.getExchange(), amqp.getRoutingKey(), properties, body);
            Envelope envelope;
            try {
                envelope = Wire.envelope(amqp.getRoutingKey(), properties);
            } catch (InvalidMessageException e) {
                dispatch(String.valueOf(amqp.getRoutingKey()), () -> deadLetter(d, e, 0));
                return;
            }
            String key = envelope.topic() + '\u0000' + envelope.key();
            dispatch(key, () -> process(d, envelope));
        }

        @Override
        public void handleCancel(String tag) {
            // The broker cancelled us (the queue was deleted): a new channel declares it again.
            log.warn("subscription {}: RabbitMQ cancelled the consumer of queue {}", spec.name(), queue);
            Channel ch = getChannel();
            lost(ch, new ShutdownSignalException(false, false, null, ch));
            try {
                // Not on this thread: closing waits for the broker's reply, which this thread may be needed for.
                recovery.execute(() -> ManagedConnection.closeQuietly(ch));
            } catch (RejectedExecutionException e) {
                // closed meanwhile, and the channel with it
            }
        }
    }

    private void dispatch(String orderKey, Runnable work) {
        try {
            lanes[Math.floorMod(orderKey.hashCode(), lanes.length)].execute(work);
        } catch (RejectedExecutionException e) {
            // Closing: the message stays unacknowledged and is redelivered.
        }
    }

    private void process(Delivery d, Envelope envelope) {
        for (int attempt = 1; ; attempt++) {
            if (isClosing() || !d.channel.isOpen()) {
                return; // redelivered: on close, or on the new channel
            }
            try {
                handler.handle(new IncomingMessage(envelope, d.body, attempt));
                ack(d);
                return;
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                if (e instanceof FatalException || attempt >= spec.maxAttempts()) {
                    deadLetter(d, e, attempt);
                    return;
                }
                Duration delay = spec.backoff().delay(attempt);
                log.debug(
                        "subscription {}: message {} failed (attempt {} of {}), retrying in {} ms",
                        spec.name(),
                        envelope.messageId(),
                        attempt,
                        spec.maxAttempts(),
                        delay.toMillis(),
                        e);
                try {
                    if (closing.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
                        return;
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private boolean isClosing() {
        return closing.getCount() == 0;
    }

    private void ack(Delivery d) {
        try {
            d.channel.basicAck(d.tag, false);
        } catch (IOException | ShutdownSignalException e) {
            log.debug("subscription {}: ack failed, the message will be redelivered", spec.name(), e);
        }
    }

    /**
     * Publishes the message with its error to the dead-letter exchange, then acknowledges it. Dead letters are rare and
     * must not be lost, so each waits for its own confirm here, in its lane.
     */
    private void deadLetter(Delivery d, Throwable error, int attempts) {
        AMQP.BasicProperties p = d.properties;
        Map<String, Object> headers = new LinkedHashMap<>(p.getHeaders() == null ? Map.of() : p.getHeaders());
        DeadLetterHeaders.ALL.forEach(headers::remove);
        headers.put(DeadLetterHeaders.ERROR, DeadLetterHeaders.error(error));
        headers.put(DeadLetterHeaders.ERROR_CLASS, error.getClass().getName());
        headers.put(DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
        headers.put(DeadLetterHeaders.SUBSCRIPTION, spec.name());
        headers.put(DeadLetterHeaders.TOPIC, d.routingKey);
        headers.put(DeadLetterHeaders.FAILED_AT, Instant.now().toString());
        headers.put(DeadLetterHeaders.EXCHANGE, d.exchange);
        AMQP.BasicProperties withError =
                p.builder().headers(headers).deliveryMode(Wire.PERSISTENT).build();
        boolean published = false;
        synchronized (deadLetterLock) {
            try {
                Channel dl = deadLetterChannel();
                dl.basicPublish(deadLetter, d.routingKey, false, withError, d.body);
                dl.waitForConfirmsOrDie(settings.closeTimeout().toMillis());
                published = true;
            } catch (IOException | TimeoutException | ShutdownSignalException | OutboxException e) {
                log.warn(
                        "subscription {}: could not publish to dead-letter exchange {} ({}); rejecting the message"
                                + " so that RabbitMQ dead-letters it",
                        spec.name(),
                        deadLetter,
                        AmqpErrors.describe(e));
                ManagedConnection.closeQuietly(deadLetterChannel);
                deadLetterChannel = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.warn(
                "subscription {}: message {} dead-lettered to {} after {} attempts: {}",
                spec.name(),
                p.getMessageId(),
                deadLetter,
                attempts,
                error.toString());
        try {
            if (published) {
                d.channel.basicAck(d.tag, false);
            } else {
                d.channel.basicReject(d.tag, false);
            }
        } catch (IOException | ShutdownSignalException e) {
            log.debug("subscription {}: ack of a dead-lettered message failed; it will be redelivered", spec.name(), e);
        }
    }

    private Channel deadLetterChannel() throws IOException {
        if (deadLetterChannel == null || !deadLetterChannel.isOpen()) {
            Channel ch = connection.get().createChannel();
            if (ch == null) {
                throw new dev.outbox.RetriableException("RabbitMQ has no channel left on the consuming connection");
            }
            ch.confirmSelect();
            deadLetterChannel = ch;
        }
        return deadLetterChannel;
    }

    // --- closing -------------------------------------------------------------------------------------------------

    /**
     * Stops consuming, lets the handlers in progress finish (within the close timeout), acknowledges what they
     * completed and closes the channel, so that every other message is redelivered; idempotent.
     */
    @Override
    public void close() {
        Channel ch;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ch = channel;
        }
        closing.countDown();
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        if (recovery != null) {
            recovery.shutdownNow();
        }
        if (ch != null && ch.isOpen()) {
            try {
                ch.basicCancel(consumerTag);
            } catch (IOException | ShutdownSignalException e) {
                log.debug("subscription {}: cancel failed", spec.name(), e);
            }
        }
        if (lanes != null) {
            for (ExecutorService lane : lanes) {
                lane.shutdown();
            }
            for (ExecutorService lane : lanes) {
                try {
                    if (!lane.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        log.warn(
                                "subscription {}: a handler did not finish within {}; interrupting it",
                                spec.name(),
                                settings.closeTimeout());
                        lane.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    lane.shutdownNow();
                }
            }
        }
        ManagedConnection.closeQuietly(ch);
        synchronized (deadLetterLock) {
            ManagedConnection.closeQuietly(deadLetterChannel);
            deadLetterChannel = null;
        }
        onClose.run();
        log.info("subscription {} closed", spec.name());
    }
}
