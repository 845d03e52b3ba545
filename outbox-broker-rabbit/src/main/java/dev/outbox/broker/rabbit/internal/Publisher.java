package dev.outbox.broker.rabbit.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import dev.outbox.FatalException;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes with publisher confirms, many messages in flight.
 *
 * <p>Threads: {@code outbox-rabbit-publisher} owns the channel and sends batches in the order {@link #publish} was
 * called, so a caller never blocks on the broker (a blocked connection stalls socket writes). The AMQP client's
 * connection thread delivers confirms and returns; it only updates the map of messages awaiting confirms and hands
 * completions to {@code outbox-rabbit-confirms}, which completes futures (user callbacks never run on the connection
 * thread) and fails messages past their deadline.
 *
 * <p>Each message takes a permit of the confirm window before it is sent and gives it back when it is settled
 * (confirmed, refused, timed out, or lost with its channel), whichever comes first; {@link PendingPublish#settle}
 * decides that race.
 *
 * <p>Order across channels: RabbitMQ keeps the order of one channel only. When a message fails (lost with its channel,
 * refused, never sent), the caller may already have queued later messages of the same topic and key; sent on the next
 * channel, they would arrive ahead of the failed one's retry. So a failure fences its topic and key: later messages of
 * it fail retriably without being sent, until the failed message (or an earlier one) or a retry comes again. A channel
 * that is replaced has its unconfirmed messages failed, and their keys fenced, before anything goes out on the new one.
 */
public final class Publisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    private static final long SWEEP_MILLIS = 50;
    private static final int MAX_ROUTING_KEY_BYTES = 255;

    private final RabbitBrokerSettings settings;
    private final ManagedConnection connection;
    private final Semaphore window;
    private final LinkedBlockingQueue<List<PendingPublish>> batches = new LinkedBlockingQueue<>();
    /** Every message not yet known settled, in publish order (which is deadline order). */
    private final ConcurrentLinkedQueue<PendingPublish> outstanding = new ConcurrentLinkedQueue<>();
    /** Topic and key of a failed message -> its id: later messages of that key are not sent until it comes again. */
    private final ConcurrentHashMap<String, Long> fences = new ConcurrentHashMap<>();

    private final ScheduledThreadPoolExecutor completions;
    private final Thread thread;
    private final Object lifecycle = new Object();

    // Guarded by lifecycle.
    private boolean started;
    private volatile boolean running;

    /** Only the publisher thread touches it. */
    private ConfirmChannel channel;

    public Publisher(RabbitBrokerSettings settings, ManagedConnection connection) {
        this.settings = settings;
        this.connection = connection;
        this.window = new Semaphore(settings.confirmWindow());
        this.completions = new ScheduledThreadPoolExecutor(1, Threads.single("confirms"));
        completions.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        completions.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        this.thread = Threads.single("publisher").newThread(this::run);
    }

    /** Starts the publisher thread and the timeout sweep. */
    public void start() {
        synchronized (lifecycle) {
            if (started) {
                return;
            }
            started = true;
            running = true;
            completions.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            thread.start();
        }
    }

    /**
     * Queues {@code messages} for sending, in order, and returns one future per message.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        long deadline = System.nanoTime() + settings.publishTimeout().toNanos();
        List<PendingPublish> batch = new ArrayList<>(messages.size());
        List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
        for (OutgoingMessage m : messages) {
            PendingPublish p = new PendingPublish(m, deadline);
            batch.add(p);
            futures.add(p.future);
        }
        synchronized (lifecycle) {
            if (!running) {
                throw new IllegalStateException("the RabbitMQ broker is closed");
            }
            outstanding.addAll(batch);
            batches.add(batch);
        }
        return futures;
    }

    // --- the publisher thread ------------------------------------------------------------------------------------

    private void run() {
        while (running) {
            List<PendingPublish> batch;
            try {
                batch = batches.poll(SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (batch != null) {
                try {
                    send(batch);
                } catch (RuntimeException e) {
                    // Never lose the thread: whatever this batch did not settle fails, the next batch goes on.
                    log.error("publishing a batch failed unexpectedly", e);
                    batch.forEach(p -> p.settle(new RetriableException("not sent: " + e, e)));
                }
            }
        }
    }

    private void send(List<PendingPublish> batch) {
        OutboxException broken = null;
        Set<String> heldBack = new HashSet<>();
        ConfirmChannel batchChannel = null;
        for (PendingPublish p : batch) {
            String orderKey = orderKey(p.message);
            if (broken != null) {
                p.settle(new RetriableException("not sent: " + broken.getMessage(), broken));
            } else if (heldBack.contains(orderKey)) {
                // A later message of the same key must not overtake the failed one (per-key order).
                p.settle(new RetriableException(
                        "not sent: an earlier message with the same topic and key failed in this batch"));
            } else {
                try {
                    String invalid = invalid(p.message);
                    if (invalid != null) {
                        p.settle(new FatalException(invalid));
                        heldBack.add(orderKey);
                    } else {
                        ConfirmChannel used = sendOne(p, batchChannel);
                        batchChannel = used != null ? used : batchChannel;
                    }
                } catch (OutboxException e) {
                    p.settle(e);
                    broken = e;
                } catch (RuntimeException e) {
                    broken = new RetriableException("publishing failed: " + e, e);
                    p.settle(broken);
                }
            }
        }
    }

    /**
     * Whether {@code p} must wait for an earlier message of its key that failed. The failed message itself, an earlier
     * one, or a retry (which the caller sends only after it learnt of the failure) lifts the fence.
     */
    private boolean fenced(PendingPublish p, String orderKey) {
        Long failed = fences.get(orderKey);
        if (failed == null) {
            return false;
        }
        if (p.id() <= failed || p.message.attempt() > 1) {
            fences.remove(orderKey, failed);
            return false;
        }
        return true;
    }

    private static String orderKey(OutgoingMessage m) {
        return m.envelope().topic() + '\u0000' + m.envelope().key();
    }

    private String invalid(OutgoingMessage m) {
        if (m.payload().length > settings.maxMessageBytes()) {
            return "message " + m.envelope().messageId() + " is " + m.payload().length
                    + " bytes, more than maxMessageBytes (" + settings.maxMessageBytes() + ")";
        }
        int keyBytes = m.envelope().topic().getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes > MAX_ROUTING_KEY_BYTES) {
            return "topic of message " + m.envelope().messageId() + " is " + keyBytes
                    + " bytes in UTF-8: an AMQP routing key holds at most " + MAX_ROUTING_KEY_BYTES;
        }
        return null;
    }

    /**
     * Sends one message, or throws what stops the rest of the batch (no channel, blocked, window full, or the channel
     * the batch started on is gone).
     *
     * @param batchChannel the channel earlier messages of this batch went out on, or null
     * @return the channel it was sent on, or null if it was not sent
     */
    private ConfirmChannel sendOne(PendingPublish p, ConfirmChannel batchChannel) {
        if (p.isSettled()) {
            return null; // timed out while queued
        }
        if (batchChannel != null && (channel != batchChannel || !batchChannel.channel.isOpen())) {
            // Messages sent on the lost channel may be lost with it; one sent on a new channel could overtake them.
            throw new RetriableException("not sent: the publishing channel closed during this batch");
        }
        String blocked = connection.blockedReason();
        if (blocked != null) {
            throw new RetriableException("RabbitMQ has blocked the publishing connection: " + blocked);
        }
        long wait = p.deadlineNanos - System.nanoTime();
        try {
            if (wait <= 0 || !window.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                throw new RetriableException("no room in the confirm window (" + settings.confirmWindow()
                        + " messages await confirms) within publishTimeout " + settings.publishTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("not sent: the broker is closing");
        }
        if (!p.takePermit()) {
            window.release();
            return null;
        }
        ConfirmChannel cc = channel();
        // Only now: opening a channel fails what the previous one did not confirm, which may fence this key.
        if (fenced(p, orderKey(p.message))) {
            p.settle(new RetriableException(
                    "not sent: an earlier message with the same topic and key failed and has not been sent again"));
            return null;
        }
        Channel ch = cc.channel;
        if (!p.attach(cc, ch.getNextPublishSeqNo())) {
            return null;
        }
        try {
            ch.basicPublish(
                    settings.exchange(),
                    p.message.envelope().topic(),
                    true,
                    Wire.properties(p.message.envelope()),
                    p.message.payload());
        } catch (IOException | ShutdownSignalException e) {
            OutboxException error =
                    AmqpErrors.translate("publishing to exchange " + settings.exchange() + " failed", e);
            cc.failPending(
                    "channel failed while publishing (" + e + ")",
                    e instanceof ShutdownSignalException sse ? sse : null);
            channel = null;
            throw error;
        }
        return cc;
    }

    private ConfirmChannel channel() {
        if (channel != null && channel.channel.isOpen()) {
            return channel;
        }
        if (channel != null) {
            // Its shutdown listener may not have run yet: what it did not confirm fails, and fences its keys, before
            // anything goes out on a new channel.
            ShutdownSignalException cause = channel.channel.getCloseReason();
            channel.failPending(cause == null ? "the publishing channel closed" : AmqpErrors.describe(cause), cause);
        }
        channel = null;
        Connection c = connection.get();
        Channel ch = null;
        try {
            ch = c.createChannel();
            if (ch == null) {
                throw new RetriableException("RabbitMQ has no channel left on the publishing connection");
            }
            ch.confirmSelect();
            Topology.exchange(ch, settings);
            channel = new ConfirmChannel(ch);
            return channel;
        } catch (IOException | ShutdownSignalException e) {
            ManagedConnection.closeQuietly(ch);
            throw AmqpErrors.translate("cannot open a publishing channel for exchange " + settings.exchange(), e);
        }
    }

    // --- timeouts and closing ------------------------------------------------------------------------------------

    private void sweep() {
        long now = System.nanoTime();
        for (Iterator<PendingPublish> it = outstanding.iterator(); it.hasNext(); ) {
            PendingPublish p = it.next();
            if (p.isSettled()) {
                it.remove();
            } else if (now - p.deadlineNanos >= 0) {
                p.settle(new RetriableException(
                        "not confirmed by RabbitMQ within publishTimeout " + settings.publishTimeout()
                                + "; it may have arrived (a retry sends it again, same message id)"));
                it.remove();
            }
        }
    }

    /**
     * Stops taking messages, waits (within the close timeout) for the confirms of those in flight, and fails the rest
     * retriably; idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            running = false;
        }
        long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
        try {
            thread.join(Math.max(1, settings.closeTimeout().toMillis() / 2));
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RetriableException notSent = new RetriableException("not sent: the RabbitMQ broker was closed");
        for (List<PendingPublish> batch = batches.poll(); batch != null; batch = batches.poll()) {
            batch.forEach(p -> p.settle(notSent));
        }
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        outstanding.forEach(p -> waiting.add(p.future));
        try {
            CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new))
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // Failures are the callers' to see; what is still unsettled is failed below.
        }
        RetriableException unconfirmed =
                new RetriableException("not confirmed before the RabbitMQ broker was closed; it may have arrived");
        outstanding.forEach(p -> p.settle(unconfirmed));
        outstanding.clear();
        ConfirmChannel cc = channel;
        channel = null;
        if (cc != null) {
            ManagedConnection.closeQuietly(cc.channel);
        }
        completions.shutdown();
        try {
            if (!completions.awaitTermination(settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("the confirms thread did not stop within {}", settings.closeTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- one publishing channel ----------------------------------------------------------------------------------

    /** A channel in confirm mode and the messages sent on it that await their confirm, by delivery tag. */
    private final class ConfirmChannel {
        final Channel channel;
        final ConcurrentSkipListMap<Long, PendingPublish> pending = new ConcurrentSkipListMap<>();

        ConfirmChannel(Channel channel) {
            this.channel = channel;
            channel.addConfirmListener(this::acked, this::nacked);
            channel.addReturnListener(this::returned);
            channel.addShutdownListener(this::closed);
        }

        private void acked(long tag, boolean multiple) {
            settle(tag, multiple, null);
        }

        private void nacked(long tag, boolean multiple) {
            settle(tag, multiple, new RetriableException("RabbitMQ refused the message (negative publisher confirm)"));
        }

        private void settle(long tag, boolean multiple, OutboxException error) {
            Map<Long, PendingPublish> done;
            if (multiple) {
                ConcurrentNavigableMap<Long, PendingPublish> head = pending.headMap(tag, true);
                done = head;
            } else {
                PendingPublish p = pending.get(tag);
                done = p == null ? Map.of() : Map.of(tag, p);
            }
            for (Iterator<Map.Entry<Long, PendingPublish>> it = done.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Long, PendingPublish> e = it.next();
                PendingPublish p = e.getValue();
                pending.remove(e.getKey(), p);
                String returned = p.returned;
                if (error != null) {
                    p.settle(error);
                } else if (returned != null) {
                    p.settle(
                            new FatalException("message " + p.message.envelope().messageId() + " is unroutable: no"
                                    + " queue is bound to exchange " + settings.exchange() + " for routing key "
                                    + p.message.envelope().topic() + " (" + returned + ")"));
                } else {
                    p.settle(null);
                }
            }
        }

        /** RabbitMQ sends the return of an unroutable mandatory message before its confirm, on the same thread. */
        private void returned(Return r) {
            String id = r.getProperties() == null ? null : r.getProperties().getMessageId();
            for (PendingPublish p : pending.values()) {
                if (p.returned == null
                        && p.message.envelope().messageId().toString().equals(id)) {
                    p.returned = r.getReplyCode() + " " + r.getReplyText();
                    return;
                }
            }
        }

        private void closed(ShutdownSignalException cause) {
            failPending(AmqpErrors.describe(cause), cause);
        }

        /** Fails every message sent on this channel and not yet confirmed; idempotent. */
        private void failPending(String why, ShutdownSignalException cause) {
            int lost = 0;
            for (Map.Entry<Long, PendingPublish> e : pending.entrySet()) {
                if (pending.remove(e.getKey(), e.getValue())
                        && e.getValue()
                                .settle(new RetriableException(
                                        "not confirmed: " + why + "; it may have arrived (a retry sends it again,"
                                                + " same message id)",
                                        cause))) {
                    lost++;
                }
            }
            if (lost > 0) {
                log.warn("{} messages in flight failed retriably: the publishing {}", lost, why);
            }
        }
    }

    // --- one message ---------------------------------------------------------------------------------------------

    /** A message from {@code publish} until it is settled; {@link #settle} happens once. */
    private final class PendingPublish {
        final OutgoingMessage message;
        final long deadlineNanos;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        /** Set by the connection thread when the broker returned the message, before its confirm. */
        volatile String returned;

        // Guarded by this.
        private boolean settled;
        private boolean holdsPermit;
        private ConfirmChannel sentOn;
        private long tag;

        PendingPublish(OutgoingMessage message, long deadlineNanos) {
            this.message = message;
            this.deadlineNanos = deadlineNanos;
        }

        long id() {
            return message.envelope().messageId().value();
        }

        synchronized boolean isSettled() {
            return settled;
        }

        /** Records the window permit just acquired; false when the message was settled meanwhile. */
        synchronized boolean takePermit() {
            if (settled) {
                return false;
            }
            holdsPermit = true;
            return true;
        }

        /** Enters the message in its channel's map before it is sent, so that a fast confirm finds it. */
        synchronized boolean attach(ConfirmChannel cc, long tag) {
            if (settled) {
                return false;
            }
            cc.pending.put(tag, this);
            this.sentOn = cc;
            this.tag = tag;
            return true;
        }

        /** Completes the message with {@code error}, or successfully for null; false if it was settled already. */
        boolean settle(OutboxException error) {
            synchronized (this) {
                if (settled) {
                    return false;
                }
                settled = true;
                if (holdsPermit) {
                    holdsPermit = false;
                    window.release();
                }
                if (sentOn != null) {
                    // Keeps the map to unsettled messages, so a return is never matched to one that timed out.
                    sentOn.pending.remove(tag, this);
                }
                if (error != null) {
                    fences.merge(orderKey(message), id(), Math::min);
                }
            }
            Runnable complete = error == null ? () -> future.complete(null) : () -> future.completeExceptionally(error);
            try {
                completions.execute(complete);
            } catch (RejectedExecutionException e) {
                complete.run();
            }
            return true;
        }
    }
}
