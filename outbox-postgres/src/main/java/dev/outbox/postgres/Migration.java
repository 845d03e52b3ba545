package dev.outbox.postgres;

import dev.outbox.InvalidConfigurationException;
import java.util.Objects;

/**
 * One versioned step of a module's schema, rendered for its configured names. {@link MigrationRunner#migrate} applies the
 * steps not yet recorded; users of Flyway or Liquibase paste {@link #sql()} into migrations of their own instead.
 *
 * @param version the step's number, from 1, in the order the steps must run
 * @param description what the step does, from its file name
 * @param sql the step's statements, separated by {@code ;}, with the names written in
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
