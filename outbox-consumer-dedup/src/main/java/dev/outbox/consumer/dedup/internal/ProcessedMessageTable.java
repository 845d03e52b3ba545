package dev.outbox.consumer.dedup.internal;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageId;
import dev.outbox.StoreException;
import dev.outbox.TransactionRequiredException;
import dev.outbox.consumer.dedup.CleanupResult;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.postgres.Migration;
import dev.outbox.postgres.MigrationRunner;
import dev.outbox.spi.Validation;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.ColonPrefixSqlParser;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Every statement on one dedup table. Only validated identifiers from the {@link DedupTable} are written into SQL text;
 * consumer, source, id and times are bound parameters. Statements run with Jdbi's plain colon parser and no template
 * engine, whatever the caller's {@link Jdbi} is configured with, so that a user's template syntax cannot rewrite them.
 * Thread-safe.
 */
public final class ProcessedMessageTable {
    /** One parser for every statement: it caches what it parsed, so each message does not parse its SQL again. */
    private static final ColonPrefixSqlParser PARSER = new ColonPrefixSqlParser();

    /** SQLSTATE of a statement naming a table that does not exist. */
    private static final String UNDEFINED_TABLE = "42P01";

    /** Bounds one cleanup statement, so that {@code close()} of the cleanup task is bounded too. */
    private static final int CLEANUP_QUERY_TIMEOUT_SECONDS = 60;

    private final Jdbi jdbi;
    private final DedupTable table;
    private final Clock clock;

    private final String insert;
    private final String exists;
    private final String count;
    private final String deleteBatch;
    private final MigrationRunner runner;

    /**
     * @param jdbi where the table lives
     * @param table the table's names
     * @param clock source of {@code processed_at} and of retention cutoffs
     * @throws InvalidConfigurationException if an argument is null
     */
    public ProcessedMessageTable(Jdbi jdbi, DedupTable table, Clock clock) {
        this.jdbi = Validation.notNull(jdbi, "jdbi");
        this.table = Validation.notNull(table, "table");
        this.clock = Validation.notNull(clock, "clock");
        String t = table.qualifiedName();
        this.insert = "insert into " + t + " (consumer, source, message_id, processed_at)"
                + " values (:consumer, :source, :message_id, :processed_at)"
                + " on conflict do nothing";
        this.exists = "select exists (select 1 from " + t
                + " where consumer = :consumer and source = :source and message_id = :message_id)";
        this.count = "select count(*) from " + t + " where consumer = :consumer";
        // Delete by primary key a bounded set found through the cleanup index; skip rows another cleaner holds, so
        // that two instances of one consumer share the work instead of waiting on each other.
        this.deleteBatch = "delete from " + t + " where (consumer, source, message_id) in ("
                + "select consumer, source, message_id from " + t
                + " where consumer = :consumer and processed_at < :cutoff"
                + " order by processed_at limit :limit for update skip locked)";
        this.runner = DedupMigrations.runner(table.schema(), table.name(), table.versionTable());
    }

    /** The table. */
    public DedupTable table() {
        return table;
    }

    /**
     * Applies the migrations not yet recorded for this table, with the shared runner: in one transaction under an
     * advisory lock, so that instances starting together apply each migration once.
     *
     * @return the migrations applied by this call, empty when the table was up to date
     * @throws StoreException if the database refused (no privilege, ...)
     */
    public List<Migration> migrate() {
        try {
            return jdbi.withHandle(h -> runner.migrate(h.getConnection()));
        } catch (JdbiException e) {
            throw new StoreException(
                    "could not migrate dedup table " + table.qualifiedName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records a message as processed by {@code consumer}, in the transaction of {@code handle}. If a concurrent
     * transaction is recording the same message, waits for it to end: when it commits, this call sees the conflict.
     *
     * @return {@code true} if the record is new, {@code false} if the message was processed before
     * @throws TransactionRequiredException if {@code handle} is null, closed or not in a transaction
     * @throws dev.outbox.InvalidMessageException if {@code source} is null or blank or {@code messageId} is null
     * @throws InvalidConfigurationException if {@code consumer} is not a valid consumer name
     * @throws StoreException if the insert failed; the transaction must then be rolled back
     */
    public boolean record(Handle handle, String consumer, String source, MessageId messageId) {
        requireTransaction(handle);
        Checks.consumer(consumer, "consumer");
        Checks.source(source);
        Checks.messageId(messageId);
        try {
            return plain(handle.createUpdate(insert))
                            .bind("consumer", consumer)
                            .bind("source", source)
                            .bind("message_id", messageId.value())
                            .bind("processed_at", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                            .execute()
                    == 1;
        } catch (JdbiException e) {
            if (e.getCause() instanceof SQLException s && UNDEFINED_TABLE.equals(s.getSQLState())) {
                throw new StoreException(
                        "could not record message " + source + "/" + messageId + ": the dedup table "
                                + table.qualifiedName() + " does not exist; run Deduplicator.migrate() (or"
                                + " ProcessedMessages.migrate()) at startup, or apply its migrationSql()",
                        s);
            }
            throw new StoreException(
                    "could not record message " + source + "/" + messageId + " in " + table.qualifiedName() + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Whether {@code consumer} has a record of the message (committed, or written by {@code handle}'s transaction).
     *
     * @throws StoreException if the query failed
     */
    public boolean contains(Handle handle, String consumer, String source, MessageId messageId) {
        Checks.consumer(consumer, "consumer");
        Checks.source(source);
        Checks.messageId(messageId);
        try {
            return plain(handle.createQuery(exists))
                    .bind("consumer", consumer)
                    .bind("source", source)
                    .bind("message_id", messageId.value())
                    .mapTo(Boolean.class)
                    .one();
        } catch (JdbiException e) {
            throw new StoreException("could not read " + table.qualifiedName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * How many records {@code consumer} has.
     *
     * @throws StoreException if the query failed
     */
    public long count(Handle handle, String consumer) {
        Checks.consumer(consumer, "consumer");
        try {
            return plain(handle.createQuery(count))
                    .bind("consumer", consumer)
                    .mapTo(Long.class)
                    .one();
        } catch (JdbiException e) {
            throw new StoreException("could not read " + table.qualifiedName() + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} with a handle of the table's {@link Jdbi}, translating its failures. */
    public <R> R withHandle(org.jdbi.v3.core.HandleCallback<R, RuntimeException> work) {
        try {
            return jdbi.withHandle(work);
        } catch (JdbiException e) {
            throw new StoreException("could not reach " + table.qualifiedName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes {@code consumer}'s records processed before {@code cutoff}, at most {@code batchSize} per statement, each
     * statement in its own transaction, until a statement deletes fewer than {@code batchSize} or {@code keepGoing}
     * says to stop (it is asked between statements).
     *
     * @throws InvalidConfigurationException if {@code batchSize} is not positive
     * @throws StoreException if a statement failed; the batches before it stay deleted
     */
    public CleanupResult deleteOlderThan(String consumer, Instant cutoff, int batchSize, BooleanSupplier keepGoing) {
        Checks.consumer(consumer, "consumer");
        Validation.notNull(cutoff, "cutoff");
        if (batchSize <= 0) {
            throw new InvalidConfigurationException("batchSize must be positive, was " + batchSize);
        }
        OffsetDateTime before = OffsetDateTime.ofInstant(cutoff, ZoneOffset.UTC);
        int batches = 0;
        long deleted = 0;
        int last;
        do {
            try {
                last = jdbi.inTransaction(
                        TransactionIsolationLevel.READ_COMMITTED, h -> plain(h.createUpdate(deleteBatch))
                                .bind("consumer", consumer)
                                .bind("cutoff", before)
                                .bind("limit", batchSize)
                                .setQueryTimeout(CLEANUP_QUERY_TIMEOUT_SECONDS)
                                .execute());
            } catch (JdbiException e) {
                throw new StoreException(
                        "could not clean " + table.qualifiedName() + " for consumer " + consumer + " after " + batches
                                + " batches: " + e.getMessage(),
                        e);
            }
            batches++;
            deleted += last;
        } while (last == batchSize && keepGoing.getAsBoolean());
        return new CleanupResult(consumer, cutoff, batches, deleted);
    }

    /** The cutoff for a retention window: records processed before it are past the window. */
    public Instant cutoff(Duration retention) {
        return clock.instant().minus(retention);
    }

    private static void requireTransaction(Handle handle) {
        if (handle == null) {
            throw new TransactionRequiredException("handle must not be null: records are written in a transaction");
        }
        if (handle.isClosed() || !handle.isInTransaction()) {
            throw new TransactionRequiredException("handle must be in an open transaction: recording a message outside"
                    + " the handler's transaction would mark it processed whatever happens to the handler's writes");
        }
    }

    private static <S extends SqlStatement<S>> S plain(S statement) {
        return statement.configure(SqlStatements.class, c -> c.setTemplateEngine(TemplateEngine.NOP)
                .setSqlParser(PARSER));
    }
}
