package dev.outbox.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.spi.Broker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * RabbitMQ: the local broker, a durable topic exchange per benchmark with one durable queue bound to everything (so
 * every message is routable and persisted), the adapter, and a plain publisher with asynchronous confirms.
 */
final class RabbitSide implements Side {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5672;

    private final ConnectionFactory factory;
    private final Connection admin;
    private final String prefix;
    private final int window;
    private int destinations;

    private RabbitSide(ConnectionFactory factory, Connection admin, String prefix, int window) {
        this.factory = factory;
        this.admin = admin;
        this.prefix = prefix;
        this.window = window;
    }

    static RabbitSide connect(String runId) {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(PORT);
        f.setUsername("guest");
        f.setPassword("guest");
        try {
            Connection admin = f.newConnection("outbox-bench-admin");
            int window = RabbitBrokerSettings.builder().build().confirmWindow();
            return new RabbitSide(f, admin, "outbox-bench-" + runId, window);
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException(
                    "RabbitMQ does not answer on " + HOST + ":" + PORT + " (start it: bin/test's services.sh)", e);
        }
    }

    @Override
    public String name() {
        return "rabbit";
    }

    /** The publisher confirm window, the adapter's default, used by the plain publisher too. */
    int window() {
        return window;
    }

    @Override
    public synchronized String createDestination() {
        String name = prefix + "-" + (++destinations);
        try (Channel ch = admin.createChannel()) {
            ch.exchangeDeclare(name, "topic", true);
            ch.queueDeclare(name, true, false, false, Map.of());
            ch.queueBind(name, name, "#");
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException("could not declare " + name, e);
        }
        return name;
    }

    @Override
    public void dropDestination(String name) {
        try (Channel ch = admin.createChannel()) {
            ch.queueDelete(name);
            ch.exchangeDelete(name);
        } catch (IOException | TimeoutException e) {
            // Left for the operator: names are unique per run.
        }
    }

    /** Empties the destination's queue between phases, so RabbitMQ holds one phase's messages at a time. */
    void purge(String name) {
        try (Channel ch = admin.createChannel()) {
            ch.queuePurge(name);
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException("could not purge " + name, e);
        }
    }

    @Override
    public long delivered(String name) {
        try (Channel ch = admin.createChannel()) {
            return ch.queueDeclarePassive(name).getMessageCount();
        } catch (IOException | TimeoutException e) {
            return -1;
        }
    }

    @Override
    public Broker broker(String exchange) {
        return RabbitBroker.create(RabbitBrokerSettings.builder()
                .host(HOST)
                .port(PORT)
                .credentials("guest", "guest")
                .exchange(exchange)
                .connectionName("outbox-bench-relay")
                .build());
    }

    @Override
    public Raw raw(String exchange) {
        return new RawPublisher(exchange);
    }

    @Override
    public String serverVersion() {
        Object v = admin.getServerProperties().get("version");
        return v == null ? "unknown" : v.toString();
    }

    @Override
    public void close() {
        try {
            admin.close(10_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A plain publisher: one channel in confirm mode, at most {@link #window()} messages unconfirmed, confirms handled
     * asynchronously; persistent, mandatory, with the adapter's properties and headers.
     */
    private final class RawPublisher implements Raw {
        private final String exchange;
        private final Connection connection;
        private final Channel channel;
        private final Semaphore permits = new Semaphore(window);
        /** Delivery tag to the send time, for messages not confirmed yet. */
        private final ConcurrentSkipListMap<Long, Long> unconfirmed = new ConcurrentSkipListMap<>();

        private final AtomicLong nacked = new AtomicLong();
        private final AtomicLong returned = new AtomicLong();
        private volatile Histogram latencies;
        private volatile long recordFrom = Long.MAX_VALUE;
        private final AtomicLong lastAck = new AtomicLong();

        RawPublisher(String exchange) {
            this.exchange = exchange;
            try {
                this.connection = factory.newConnection("outbox-bench-raw");
                this.channel = connection.createChannel();
                channel.confirmSelect();
                channel.addConfirmListener((tag, multiple) -> settle(tag, multiple, true), (tag, multiple) -> {
                    nacked.incrementAndGet();
                    settle(tag, multiple, false);
                });
                channel.addReturnListener(r -> returned.incrementAndGet());
            } catch (IOException | TimeoutException e) {
                throw new IllegalStateException("could not connect the plain publisher", e);
            }
        }

        private void settle(long tag, boolean multiple, boolean ack) {
            long now = System.nanoTime();
            ConcurrentNavigableMap<Long, Long> done =
                    multiple ? unconfirmed.headMap(tag, true) : unconfirmed.subMap(tag, true, tag, true);
            Histogram h = latencies;
            int n = 0;
            for (var e : done.entrySet()) {
                if (ack && h != null && e.getValue() >= recordFrom) {
                    h.recordValue(Math.max(0, (now - e.getValue()) / 1000));
                }
                n++;
            }
            done.clear();
            if (ack) {
                lastAck.accumulateAndGet(now, Math::max);
            }
            permits.release(n);
        }

        private void publish(Messages m, long i) throws InterruptedException {
            if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("plain publisher: no confirm for 60 s");
            }
            Map<String, Object> headers = new LinkedHashMap<>(Side.envelopeHeaders(m, i));
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .messageId(Long.toString(i + 1))
                    .type(Backlog.TYPE)
                    .contentType(Backlog.CONTENT_TYPE)
                    .appId(SOURCE)
                    .timestamp(Date.from(Instant.now()))
                    .deliveryMode(2)
                    .headers(headers)
                    .build();
            long seq = channel.getNextPublishSeqNo();
            unconfirmed.put(seq, System.nanoTime());
            try {
                channel.basicPublish(exchange, m.topic(), true, props, m.payload(i));
            } catch (IOException e) {
                throw new UncheckedIOException("plain publisher: publish failed", e);
            }
        }

        private void awaitAll() throws InterruptedException {
            if (!permits.tryAcquire(window, 10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("plain publisher: confirms missing after 10 minutes");
            }
            permits.release(window);
            if (nacked.get() > 0 || returned.get() > 0) {
                throw new IllegalStateException(
                        "plain publisher: " + nacked.get() + " nacked, " + returned.get() + " returned");
            }
        }

        @Override
        public long sendAll(Messages m, long first, long count) throws InterruptedException {
            long start = System.nanoTime();
            for (long i = first; i < first + count; i++) {
                publish(m, i);
            }
            awaitAll();
            return lastAck.get() - start;
        }

        @Override
        public Histogram openLoop(Messages m, double rate, Duration warmup, Duration measure)
                throws InterruptedException {
            Histogram h = new ConcurrentHistogram(3);
            long interval = (long) (1e9 / rate);
            long start = System.nanoTime();
            long measureFrom = start + warmup.toNanos();
            long end = measureFrom + measure.toNanos();
            latencies = h;
            recordFrom = measureFrom;
            for (long i = 0; ; i++) {
                long intended = start + i * interval;
                if (intended >= end) {
                    break;
                }
                long wait = intended - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                publish(m, i);
            }
            awaitAll();
            latencies = null;
            recordFrom = Long.MAX_VALUE;
            return h;
        }

        @Override
        public void close() {
            try {
                connection.close(10_000);
            } catch (IOException e) {
                // Closing at the end of a phase: nothing left to lose.
            }
        }
    }
}
