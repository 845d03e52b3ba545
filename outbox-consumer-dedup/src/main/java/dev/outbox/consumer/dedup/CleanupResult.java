package dev.outbox.consumer.dedup;

import java.time.Instant;
import java.util.Objects;

/**
 * What one retention cleanup pass did.
 *
 * @param consumer the consumer whose records were cleaned
 * @param cutoff records processed before this instant were deleted
 * @param batches how many delete statements ran, each in its own short transaction; the last one deleted fewer than the
 *     batch size (possibly none), unless the pass was stopped by {@code close()}
 * @param deleted how many records were deleted in all
 */
public record CleanupResult(String consumer, Instant cutoff, int batches, long deleted) {
    public CleanupResult {
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(cutoff, "cutoff");
        if (batches < 0 || deleted < 0) {
            throw new IllegalArgumentException("batches and deleted must not be negative");
        }
    }
}
