package dev.outbox.store.jdbi;

import dev.outbox.postgres.MigrationRunner;
import dev.outbox.postgres.Names;

/**
 * The store's versioned SQL: one file per version in {@code resources/dev/outbox/store/jdbi/migrations}, run by the
 * shared {@link MigrationRunner} (see it for the file names and the placeholders, {@code ${table:message}}, {@code
 * ${name:message_pending}}, {@code ${lanes}}). Never edit a shipped file: add the next version here and there.
 */
final class Migrations {
    /** Every migration, in order. */
    private static final String[] FILES = {"V1__outbox.sql", "V2__positions.sql"};

    private Migrations() {}

    /**
     * The runner for the configured names and lane count; rendering every version checks every name it makes.
     *
     * @throws dev.outbox.InvalidConfigurationException naming the setting that makes a name too long
     */
    static MigrationRunner of(Names names, int lanes) {
        return MigrationRunner.builder(Migrations.class, "migrations", FILES)
                .names(names)
                .versionTable(names.plain("schema_version"))
                .parameter("lanes", lanes)
                .build();
    }
}
