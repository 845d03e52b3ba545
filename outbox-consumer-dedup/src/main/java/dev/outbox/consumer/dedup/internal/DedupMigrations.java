package dev.outbox.consumer.dedup.internal;

import dev.outbox.postgres.MigrationRunner;
import dev.outbox.postgres.Names;
import java.util.Optional;

/**
 * The dedup table's versioned SQL: one file per version in {@code resources/dev/outbox/consumer/dedup/migrations}, run
 * by the shared {@link MigrationRunner} (see it for the file names and the placeholders: {@code ${table}} is the dedup
 * table, {@code ${name:cleanup_idx}} its retention index). Never edit a shipped file: add the next version here and
 * there.
 */
public final class DedupMigrations {
    /** Every migration, in order. */
    private static final String[] FILES = {"V1__processed_message.sql"};

    private DedupMigrations() {}

    /**
     * The runner for a dedup table; rendering every version checks every name it makes.
     *
     * @throws dev.outbox.InvalidConfigurationException naming the setting that breaks the identifier rule
     */
    public static MigrationRunner runner(Optional<String> schema, String name, String versionTable) {
        return MigrationRunner.builder(dev.outbox.consumer.dedup.DedupTable.class, "migrations", FILES)
                .names(Names.of(schema, "schema", name, "name"))
                .versionTable(versionTable)
                .build();
    }
}
