package dev.outbox.consumer.dedup;

import dev.outbox.InvalidConfigurationException;
import java.util.Objects;

/**
 * One versioned step of the dedup table's schema, rendered for a {@link DedupTable}. {@link ProcessedMessages#migrate()}
 * applies the steps not yet recorded; users of Flyway or Liquibase paste {@link #sql()} into a migration of their own
 * instead.
 *
 * @param version the step's number, from 1, in the order the steps must run
 * @param description what the step does
 * @param sql the statements, separated by {@code ;}, with the table's names written in; safe to run again
 */
public record Migration(int version, String description, String sql) {
    public Migration {
        if (version < 1) {
            throw new InvalidConfigurationException("version must be at least 1, was " + version);
        }
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(sql, "sql");
    }
}
