package dev.outbox;

import dev.outbox.internal.DefaultRelay;
import dev.outbox.internal.RelaySettings;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.PartitionMonitor;
import dev.outbox.spi.Validation;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Moves committed messages from the {@link MessageStore} to the {@link Broker}.
 *
 * <p>Messages are spread over lanes by partition key. A relay claims a fair share of the lanes (several relays on one
 * table split them, and take over a dead relay's lanes within a few lease periods), fetches up to {@code batchSize}
 * messages per round from its running lanes, publishes them with many in flight, and deletes the acknowledged ones in
 * one statement. It runs {@code concurrency} rounds at once, each over its own share of the lanes. Within a lane, the
 * first message that fails ends the lane's round, so later messages never overtake it; a retriable failure is retried
 * with backoff, and a fatal one, or {@code maxAttempts} failures, stop the lane and tell the {@link PartitionMonitor}.
 * Other lanes keep flowing.
 *
 * <p>Nothing runs until {@link #start()}; {@link #close()} stops every thread the relay started and gives its lanes
 * back. Thread-safe.
 */
public interface Relay extends AutoCloseable {

    /**
     * Starts the relay's threads (the relay loop, the lease heartbeat, maintenance) and makes the first heartbeat on
     * the caller's thread, so a store that is unreachable or not migrated fails here.
     *
     * @throws IllegalStateException if the relay was started or closed before
     * @throws StoreException if the first heartbeat fails
     */
    void start();

    /**
     * Publishes on the caller's thread everything that can be published now, round after round, and returns when a
     * round finds nothing to do (lanes that are stopped or waiting out a backoff are left alone). For tests: works
     * whether or not the relay was started.
     */
    DrainResult drainNow();

    /** The lanes this relay holds now. */
    Set<Integer> ownedLanes();

    /** This relay instance's id, unique among the relays sharing a store. */
    String id();

    /** Stopped lanes of the store (whichever relay stopped them). */
    List<StoppedLane> stoppedLanes();

    /**
     * Restarts a stopped lane: its head message is retried with a fresh set of attempts.
     *
     * @throws IllegalArgumentException if the lane does not exist or is not stopped
     */
    StoppedLane restart(int lane);

    /**
     * Parks the head message of a stopped lane aside and restarts the lane with the next message.
     *
     * @throws IllegalArgumentException if the lane does not exist or is not stopped
     */
    ParkedMessage skip(int lane);

    /** Stops the relay's threads (bounded wait), gives its lanes back; idempotent. The broker is not closed. */
    @Override
    void close();

    /** A builder. */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a {@link Relay}. Every setting but the store, broker and source has a default, and every duration and size
     * an upper bound, checked in {@link #build()}. Not thread-safe.
     */
    final class Builder {
        /** The longest {@link #source} and {@link #id}, in bytes of UTF-8: an AMQP short string. */
        public static final int MAX_NAME_BYTES = 255;

        /** The longest {@link #frequency}: 1 hour. */
        public static final Duration MAX_FREQUENCY = Duration.ofHours(1);

        /** The largest {@link #batchSize}. */
        public static final int MAX_BATCH_SIZE = 100_000;

        /** The most {@link #maxAttempts}. */
        public static final int MAX_ATTEMPTS = 1_000_000;

        /** The longest {@link #publishTimeout}: 1 hour. */
        public static final Duration MAX_PUBLISH_TIMEOUT = Duration.ofHours(1);

        /** The longest {@link #lease}: 1 hour (and the heartbeat at most half of it). */
        public static final Duration MAX_LEASE = Duration.ofHours(1);

        private MessageStore store;
        private Broker broker;
        private String source;
        private String id;
        private PartitionMonitor monitor = PartitionMonitor.NOOP;
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.system();
        private Duration frequency = Duration.ofMillis(100);
        private int batchSize = 1000;
        /** Null: the default, 2, or the store's lane count when it has fewer. */
        private Integer concurrency;

        private int maxAttempts = 10;
        private Backoff backoff = Backoff.DEFAULT;
        private Duration publishTimeout = Duration.ofSeconds(30);
        private Duration lease = Duration.ofSeconds(5);
        private Duration heartbeat = Duration.ofSeconds(1);
        private Duration lagThreshold = Duration.ofMinutes(1);
        private Duration maintenanceInterval = Duration.ofSeconds(10);
        private RelayListener listener = RelayListener.NOOP;

        private Builder() {}

        /** The store to read from. Required. */
        public Builder store(MessageStore store) {
            this.store = store;
            return this;
        }

        /** The broker to publish to. Required. */
        public Builder broker(Broker broker) {
            this.broker = broker;
            return this;
        }

        /**
         * The producing service's name, sent as the {@code source} header; consumers deduplicate on (source, message
         * id). Required; use the same name for every relay of one database.
         */
        public Builder source(String source) {
            this.source = source;
            return this;
        }

        /**
         * This instance's id among relays sharing the store; it appears in log lines and in the lane table. At most
         * {@value #MAX_NAME_BYTES} bytes in UTF-8, on one line and shown as written (see {@link Validation#name}).
         * Default: the source and a random suffix.
         */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /** Told when lanes stop, restart or fall behind. Default {@link PartitionMonitor#NOOP}. */
        public Builder monitor(PartitionMonitor monitor) {
            this.monitor = monitor;
            return this;
        }

        /** Told about every round, for metrics. Default {@link RelayListener#NOOP}. */
        public Builder listener(RelayListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * The clock the relay reads message ages with (for {@link RelayListener} and the lag check); waits (backoff,
         * polling, leases, publish timeouts) follow the {@link #ticker(Ticker) ticker}. Default {@link
         * Clock#systemUTC()}.
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * The monotonic time that drives waits: backoff, polling, leases, publish timeouts. Default {@link
         * Ticker#system()}; tests give one they move by hand.
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = ticker;
            return this;
        }

        /**
         * The longest the relay waits before it looks for new messages again, unless the store wakes it earlier on
         * commit. After a round that published messages it looks again at once, then after 1, 2, 4... ms while it
         * finds nothing, up to this: messages that keep coming are picked up within a round or two, and an idle relay
         * costs one query per frequency. Default 100 ms; at most {@link #MAX_FREQUENCY}.
         */
        public Builder frequency(Duration frequency) {
            this.frequency = frequency;
            return this;
        }

        /** Most messages fetched and published per round. Default 1000; at most {@value #MAX_BATCH_SIZE}. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Rounds in progress at once, each on its own thread over its own share of the relay's lanes (lane number
         * modulo this), so that one round's reads and deletes overlap another's wait for the broker. A lane belongs to
         * one of them for the relay's life: per-key order holds whatever the value. Each takes a database connection
         * while it reads or deletes. Default 2 (1 for a store of one lane); at most the store's lane count.
         */
        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /** Attempts of one message before its lane is stopped. Default 10; at most {@value #MAX_ATTEMPTS}. */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Delay between attempts of a failing message. Default {@link Backoff#DEFAULT}. */
        public Builder backoff(Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        /**
         * How long a round waits for the broker's acknowledgements; later is a retriable failure. Default 30 s; at most
         * {@link #MAX_PUBLISH_TIMEOUT}.
         */
        public Builder publishTimeout(Duration publishTimeout) {
            this.publishTimeout = publishTimeout;
            return this;
        }

        /**
         * How long a lane stays claimed without a heartbeat; a dead relay's lanes move after this. Default 5 s. Must be
         * at least twice the heartbeat, and at most {@link #MAX_LEASE}: a longer lease would keep a dead relay's lanes
         * from every other relay that long.
         */
        public Builder lease(Duration lease) {
            this.lease = lease;
            return this;
        }

        /** How often the relay renews its lease and rebalances lanes, on its own thread. Default 1 s. */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * Age of a lane's oldest message past which the monitor hears {@code laneBehind}. Default 1 min; at most {@link
         * Validation#MAX_DURATION}.
         */
        public Builder lagThreshold(Duration lagThreshold) {
            this.lagThreshold = lagThreshold;
            return this;
        }

        /** How often the lag check and the purge of retained messages run. Default 10 s; at most 1 day. */
        public Builder maintenanceInterval(Duration maintenanceInterval) {
            this.maintenanceInterval = maintenanceInterval;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting */
        public Relay build() {
            Validation.notNull(store, "store");
            Validation.notNull(broker, "broker");
            // The source travels in every envelope (an AMQP short string) and in log lines: refuse here what would
            // otherwise fail in every round, or forge a log line.
            Validation.name(source, "source", MAX_NAME_BYTES);
            Validation.notNull(monitor, "monitor");
            Validation.notNull(listener, "listener");
            Validation.notNull(clock, "clock");
            Validation.notNull(ticker, "ticker");
            Validation.positive(frequency, MAX_FREQUENCY, "frequency");
            Validation.positive(batchSize, MAX_BATCH_SIZE, "batchSize");
            int concurrency = this.concurrency != null ? this.concurrency : Math.min(2, store.lanes());
            if (concurrency > store.lanes()) {
                throw new InvalidConfigurationException("concurrency (" + concurrency
                        + ") must be at most the store's lane count (" + store.lanes() + ")");
            }
            Validation.positive(concurrency, store.lanes(), "concurrency");
            Validation.positive(maxAttempts, MAX_ATTEMPTS, "maxAttempts");
            Validation.notNull(backoff, "backoff");
            Validation.positive(publishTimeout, MAX_PUBLISH_TIMEOUT, "publishTimeout");
            Validation.positive(lease, MAX_LEASE, "lease");
            Validation.positive(heartbeat, MAX_LEASE.dividedBy(2), "heartbeat");
            Validation.positive(lagThreshold, "lagThreshold");
            Validation.positive(maintenanceInterval, Duration.ofDays(1), "maintenanceInterval");
            if (lease.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw new InvalidConfigurationException(
                        "lease (" + lease + ") must be at least twice the heartbeat (" + heartbeat + ")");
            }
            String relayId = id != null
                    ? Validation.name(id, "id", MAX_NAME_BYTES)
                    : source + "-" + UUID.randomUUID().toString().substring(0, 8);
            return new DefaultRelay(new RelaySettings(
                    store,
                    broker,
                    source,
                    relayId,
                    monitor,
                    listener,
                    clock,
                    ticker,
                    frequency,
                    batchSize,
                    concurrency,
                    maxAttempts,
                    backoff,
                    publishTimeout,
                    lease,
                    heartbeat,
                    lagThreshold,
                    maintenanceInterval));
        }
    }
}
