package dev.outbox.consumer.dedup.internal;

import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import java.time.Clock;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * A deduplicator's validated settings; see {@link dev.outbox.consumer.dedup.Deduplicator.Builder} for each one's
 * meaning and default.
 */
public record DedupSettings(
        Jdbi jdbi,
        String consumer,
        DedupTable table,
        Duration retention,
        Duration cleanupInterval,
        int cleanupBatchSize,
        DedupListener listener,
        Clock clock,
        TransactionIsolationLevel isolation) {}
