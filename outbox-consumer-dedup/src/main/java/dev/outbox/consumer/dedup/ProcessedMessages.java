package dev.outbox.consumer.dedup;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageId;
import dev.outbox.StoreException;
import dev.outbox.TransactionRequiredException;
import dev.outbox.consumer.dedup.internal.ProcessedMessageTable;
import dev.outbox.postgres.Migration;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The table of processed messages: one row per {@code (consumer, source, message_id)} with its {@code processed_at}.
 * Its schema ships in this jar as versioned migrations; {@link #migrate()} applies them, {@link #migrationSql()} prints
 * them for Flyway or Liquibase.
 *
 * <p>{@link Deduplicator} is the usual way to use the table. This class is for what it does not cover: creating the
 * table, recording a message from a transaction the application manages itself ({@link #record}), looking records up,
 * deleting old ones.
 *
 * <p>Thread-safe.
 */
public final class ProcessedMessages {
    private final ProcessedMessageTable table;

    private ProcessedMessages(ProcessedMessageTable table) {
        this.table = table;
    }

    /**
     * The table {@code table} reached through {@code jdbi}, recording times from the system clock.
     *
     * @throws InvalidConfigurationException if an argument is null
     */
    public static ProcessedMessages create(Jdbi jdbi, DedupTable table) {
        return create(jdbi, table, Clock.systemUTC());
    }

    /**
     * The table {@code table} reached through {@code jdbi}, recording {@code processed_at} from {@code clock}.
     *
     * @throws InvalidConfigurationException if an argument is null
     */
    public static ProcessedMessages create(Jdbi jdbi, DedupTable table, Clock clock) {
        return new ProcessedMessages(new ProcessedMessageTable(jdbi, table, clock));
    }

    /** The table's configuration. */
    public DedupTable table() {
        return table.table();
    }

    /**
     * Creates or upgrades the table: applies, in one transaction, the migrations not yet recorded in the version table
     * (creating that too), under a PostgreSQL advisory lock so that instances starting at once apply each migration
     * once. Safe to call at every start; the schema, when one is configured, must exist.
     *
     * @return the migrations this call applied, empty when the table was up to date
     * @throws StoreException if the database refused
     */
    public List<Migration> migrate() {
        return table.migrate();
    }

    /** The migrations as printable SQL, see {@link DedupTable#migrationSql()}. */
    public String migrationSql() {
        return table().migrationSql();
    }

    /**
     * Records that {@code consumer} processed a message, in the transaction of {@code handle}: commit it together with
     * the message's effects. A concurrent transaction recording the same message makes this call wait until it ends.
     *
     * @return {@code true} if the record is new (process the message), {@code false} if it existed (a duplicate: skip)
     * @throws TransactionRequiredException if {@code handle} is null, closed or not in a transaction
     * @throws InvalidMessageException if {@code source} is null or blank, or {@code messageId} is null
     * @throws InvalidConfigurationException if {@code consumer} is not a valid consumer name
     * @throws StoreException if the insert failed; roll the transaction back
     */
    public boolean record(Handle handle, String consumer, String source, MessageId messageId) {
        return table.record(handle, consumer, source, messageId);
    }

    /**
     * Whether {@code consumer} has a committed record of the message.
     *
     * @throws InvalidMessageException if {@code source} is null or blank, or {@code messageId} is null
     * @throws StoreException if the query failed
     */
    public boolean contains(String consumer, String source, MessageId messageId) {
        return table.withHandle(h -> table.contains(h, consumer, source, messageId));
    }

    /**
     * How many records {@code consumer} has.
     *
     * @throws StoreException if the query failed
     */
    public long count(String consumer) {
        return table.withHandle(h -> table.count(h, consumer));
    }

    /**
     * Deletes {@code consumer}'s records processed before {@code cutoff}, at most {@code batchSize} per statement and
     * transaction, until none is left.
     *
     * @throws InvalidConfigurationException if {@code batchSize} is not positive
     * @throws StoreException if a statement failed; the batches before it stay deleted
     */
    public CleanupResult deleteOlderThan(String consumer, Instant cutoff, int batchSize) {
        return table.deleteOlderThan(consumer, cutoff, batchSize, () -> true);
    }

    @Override
    public String toString() {
        return "ProcessedMessages[" + table().qualifiedName() + "]";
    }
}
