package dev.outbox.consumer.dedup;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageHandler;
import dev.outbox.StoreException;
import dev.outbox.consumer.dedup.internal.Checks;
import dev.outbox.consumer.dedup.internal.DedupSettings;
import dev.outbox.consumer.dedup.internal.JdbiDeduplicator;
import dev.outbox.postgres.Migration;
import dev.outbox.spi.Validation;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Exactly-once processing for one consumer (guarantee G5): turns a {@link TransactionalHandler} into a {@link
 * MessageHandler} whose effects happen once per message, although brokers deliver at least once.
 *
 * <p>For each delivery, the wrapped handler opens one JDBI transaction and inserts {@code (consumer, source,
 * message_id)} into the {@link ProcessedMessages} table with {@code ON CONFLICT DO NOTHING}:
 *
 * <ul>
 *   <li>a row was inserted: the message is new; the handler runs with the same {@code Handle}, and its writes commit
 *       together with the record;
 *   <li>no row was inserted: the message was processed before (a redelivery after a crash or a lost
 *       acknowledgement); the handler is skipped and the wrapped handler returns normally, so the subscriber
 *       acknowledges it;
 *   <li>the handler throws: the transaction rolls back, record and writes alike, and the exception goes to the
 *       subscriber, which retries the message (or dead-letters it).
 * </ul>
 *
 * Two deliveries of one message at the same moment (two consumer instances after a rebalance) are safe: the second
 * insert waits for the first transaction; if it commits, the second sees the conflict and skips, without an error; if
 * it rolls back, the second processes the message. Ids are recorded and looked up, never compared by size: messages
 * may arrive in any order.
 *
 * <p><b>Retention.</b> Records older than {@link Builder#retention} are deleted by {@link #cleanupNow()} or by the task
 * {@link #startCleanup()} starts. The trade-off: a redelivery of a message processed longer ago than the window is no
 * longer recognised and is processed again. Choose a window longer than any redelivery can be late: longer than the
 * broker keeps messages (Kafka's retention, a RabbitMQ queue's TTL) and than consumers may lag.
 *
 * <pre>{@code
 * Deduplicator dedup = Deduplicator.builder().jdbi(jdbi).consumer("billing").build();
 * dedup.migrate();
 * dedup.startCleanup();
 * MessageHandler handler = dedup.wrap((handle, message) ->
 *         handle.createUpdate("insert into invoice ...").execute());
 * Subscription s = broker.subscribe(SubscriptionSpec.builder("billing").patterns("Orders.#").build(), handler);
 * ...
 * s.close();
 * dedup.close();
 * }</pre>
 *
 * <p>Thread-safe: one instance serves any number of subscriber threads.
 */
public interface Deduplicator extends AutoCloseable {

    /** The consumer whose messages this instance deduplicates. */
    String consumer();

    /** The table of processed messages. */
    ProcessedMessages processedMessages();

    /**
     * A message handler that runs {@code handler} once per message, as described above. It can be handed to any
     * subscriber, and keeps working after {@link #close()}.
     *
     * <p>What it throws:
     *
     * <ul>
     *   <li>whatever {@code handler} throws, unchanged, after the rollback;
     *   <li>{@link StoreException} (retriable) if the database failed;
     *   <li>{@link dev.outbox.TransactionRequiredException} if the handler committed or rolled back the transaction
     *       itself (which it must not do);
     *   <li>{@link dev.outbox.TransactionAbortedException} (retriable) if the handler returned normally although one of
     *       its statements failed: PostgreSQL aborted the transaction, so neither the record nor the handler's writes
     *       could commit; the transaction is rolled back and the message is not acknowledged as processed;
     *   <li>{@link InvalidMessageException} for a message without id or source (or a null message), which is neither
     *       processed nor recorded: subscribers dead-letter it.
     * </ul>
     *
     * @throws InvalidConfigurationException if {@code handler} is null
     */
    MessageHandler wrap(TransactionalHandler handler);

    /**
     * Creates or upgrades the table; see {@link ProcessedMessages#migrate()}.
     *
     * @return the migrations this call applied
     * @throws StoreException if the database refused
     */
    List<Migration> migrate();

    /**
     * Runs one retention cleanup pass on the caller's thread: deletes this consumer's records processed more than the
     * retention window ago, in batches of {@link Builder#cleanupBatchSize}, each in its own transaction, until none
     * is left. Other consumers' records are not touched.
     *
     * @throws StoreException if a statement failed; the batches before it stay deleted
     */
    CleanupResult cleanupNow();

    /**
     * Starts the cleanup task: a pass every {@link Builder#cleanupInterval} (the first one interval after the start) on
     * a daemon thread named {@code outbox-dedup-cleanup-<consumer>}. A failed pass is logged, reported to {@link
     * DedupListener#cleanupFailed} and tried again at the next interval.
     *
     * @throws IllegalStateException if the task was started before, or this instance is closed
     */
    void startCleanup();

    /**
     * Stops the cleanup task, if started: a pass in progress stops after its current batch; waits at most 30 seconds
     * for the thread to end. Idempotent. Wrapped handlers keep working.
     */
    @Override
    void close();

    /** A builder. */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a {@link Deduplicator}. The Jdbi and the consumer are required; every other setting has a default, and
     * every duration and size an upper bound, checked in {@link #build()}.
     */
    final class Builder {
        /** The longest {@link #retention}: 10 years. */
        public static final Duration MAX_RETENTION = Duration.ofDays(3650);

        /** The longest {@link #cleanupInterval}: 1 day. */
        public static final Duration MAX_CLEANUP_INTERVAL = Duration.ofDays(1);

        /** The largest {@link #cleanupBatchSize}. */
        public static final int MAX_CLEANUP_BATCH_SIZE = 100_000;

        private Jdbi jdbi;
        private String consumer;
        private DedupTable table = DedupTable.DEFAULT;
        private Duration retention = Duration.ofDays(7);
        private Duration cleanupInterval = Duration.ofMinutes(1);
        private int cleanupBatchSize = 1000;
        private DedupListener listener = DedupListener.NOOP;
        private Clock clock = Clock.systemUTC();
        private TransactionIsolationLevel isolation = TransactionIsolationLevel.READ_COMMITTED;

        private Builder() {}

        /** Where the table lives and the handlers write. Required. */
        public Builder jdbi(Jdbi jdbi) {
            this.jdbi = jdbi;
            return this;
        }

        /**
         * The consumer's name, recorded with each message: consumers with different names process each message once
         * each. Letters, digits, '.', '_' and '-', at most 200 characters, like a subscription's name (reusing it is
         * a good choice). Required; keep it stable, renaming a consumer forgets what it processed.
         */
        public Builder consumer(String consumer) {
            this.consumer = consumer;
            return this;
        }

        /** The table. Default {@link DedupTable#DEFAULT}. */
        public Builder table(DedupTable table) {
            this.table = table;
            return this;
        }

        /**
         * How long a message's record is kept after it was processed; a redelivery later than that is processed again
         * (see the class comment). Default 7 days; at most {@link #MAX_RETENTION}.
         */
        public Builder retention(Duration retention) {
            this.retention = retention;
            return this;
        }

        /** The delay between two passes of the cleanup task. Default 1 minute; at most {@link #MAX_CLEANUP_INTERVAL}. */
        public Builder cleanupInterval(Duration cleanupInterval) {
            this.cleanupInterval = cleanupInterval;
            return this;
        }

        /**
         * Most records one cleanup statement deletes (one short transaction each). Default 1000; at most {@value
         * #MAX_CLEANUP_BATCH_SIZE}.
         */
        public Builder cleanupBatchSize(int cleanupBatchSize) {
            this.cleanupBatchSize = cleanupBatchSize;
            return this;
        }

        /** Told about every message and cleanup pass, for metrics. Default {@link DedupListener#NOOP}. */
        public Builder listener(DedupListener listener) {
            this.listener = listener;
            return this;
        }

        /** The clock for {@code processed_at} and the retention cutoff. Default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * The isolation level of the handler's transaction. Default {@link TransactionIsolationLevel#READ_COMMITTED},
         * under which a concurrent duplicate waits and is skipped without an error. Under {@code REPEATABLE_READ} or
         * {@code SERIALIZABLE}, PostgreSQL fails the concurrent duplicate with a serialization error instead: it is
         * thrown as a retriable {@link StoreException}, and the subscriber's retry skips it. {@code READ_UNCOMMITTED}
         * behaves as {@code READ_COMMITTED} in PostgreSQL.
         */
        public Builder isolation(TransactionIsolationLevel isolation) {
            this.isolation = isolation;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting */
        public Deduplicator build() {
            Validation.notNull(jdbi, "jdbi");
            Checks.consumer(consumer, "consumer");
            Validation.notNull(table, "table");
            Validation.positive(retention, MAX_RETENTION, "retention");
            Validation.positive(cleanupInterval, MAX_CLEANUP_INTERVAL, "cleanupInterval");
            Validation.positive(cleanupBatchSize, MAX_CLEANUP_BATCH_SIZE, "cleanupBatchSize");
            if (listener == null) {
                throw new InvalidConfigurationException("listener must not be null (use DedupListener.NOOP)");
            }
            Validation.notNull(clock, "clock");
            if (isolation == null
                    || isolation == TransactionIsolationLevel.NONE
                    || isolation == TransactionIsolationLevel.UNKNOWN) {
                throw new InvalidConfigurationException(
                        "isolation must be a transaction isolation level, was " + isolation);
            }
            return new JdbiDeduplicator(new DedupSettings(
                    jdbi, consumer, table, retention, cleanupInterval, cleanupBatchSize, listener, clock, isolation));
        }
    }
}
