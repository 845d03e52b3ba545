package dev.outbox.consumer.dedup;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.consumer.dedup.internal.DedupMigrations;
import dev.outbox.postgres.Identifiers;
import dev.outbox.postgres.Migration;
import dev.outbox.postgres.MigrationRunner;
import dev.outbox.postgres.Names;
import java.util.List;
import java.util.Optional;

/**
 * Where the processed-message records live: the table, the schema, and the table that records which {@link
 * Migration}s ran. Every name follows the {@link Identifiers} rule shared with the store module: lower-case letters,
 * digits and {@code _}, not starting with a digit, at most 63 characters, and so must every name derived from it (the
 * retention index {@code <name>_cleanup_idx}, which keeps the table's name to 51 characters). Names are always quoted
 * in SQL, so a keyword such as {@code order} is a name like any other; every value is bound as a parameter.
 *
 * <pre>{@code
 * DedupTable.DEFAULT                                  // outbox_processed_message, on the search path
 * DedupTable.named("orders_processed").inSchema("orders")
 * }</pre>
 *
 * @param schema the schema, created by {@link ProcessedMessages#migrate()} if it is missing; empty for the connection's
 *     search path (the default)
 * @param name the table, default {@value #DEFAULT_NAME}
 * @param versionTable the table recording applied migrations, in the same schema, default {@value
 *     #DEFAULT_VERSION_TABLE}; several dedup tables of one schema may share it, and so may the store's when given its
 *     name
 */
public record DedupTable(Optional<String> schema, String name, String versionTable) {

    /** The default table name. */
    public static final String DEFAULT_NAME = "outbox_processed_message";

    /** The default name of the table recording applied migrations. */
    public static final String DEFAULT_VERSION_TABLE = "outbox_dedup_version";

    /** {@value #DEFAULT_NAME} and {@value #DEFAULT_VERSION_TABLE} on the connection's search path. */
    public static final DedupTable DEFAULT = new DedupTable(Optional.empty(), DEFAULT_NAME, DEFAULT_VERSION_TABLE);

    private static final String CLEANUP_INDEX_SUFFIX = "cleanup_idx";

    /**
     * @throws InvalidConfigurationException naming the argument that breaks the {@link Identifiers} rule (itself, or
     *     through a name derived from it), or if {@code name} and {@code versionTable} are the same
     */
    public DedupTable {
        Names.of(schema, "schema", name, "name");
        Identifiers.check(versionTable, "versionTable");
        if (name.equals(versionTable)) {
            throw new InvalidConfigurationException("name and versionTable must differ, both were '" + name + "'");
        }
        // Every name of every version, rendered now: a name that makes one too long fails here, not in migrate().
        DedupMigrations.runner(schema, name, versionTable);
    }

    /**
     * The table {@code name} on the search path, with the default version table.
     *
     * @throws InvalidConfigurationException if {@code name} breaks the identifier rule
     */
    public static DedupTable named(String name) {
        return new DedupTable(Optional.empty(), name, DEFAULT_VERSION_TABLE);
    }

    /**
     * This table in {@code schema}.
     *
     * @throws InvalidConfigurationException if {@code schema} breaks the identifier rule
     */
    public DedupTable inSchema(String schema) {
        return new DedupTable(Optional.of(Identifiers.checkSchema(schema, "schema")), name, versionTable);
    }

    /**
     * This configuration with another version table.
     *
     * @throws InvalidConfigurationException if {@code versionTable} breaks the identifier rule
     */
    public DedupTable withVersionTable(String versionTable) {
        return new DedupTable(schema, name, versionTable);
    }

    /** The table's name as written in SQL: quoted, and schema-qualified when a schema is set. */
    public String qualifiedName() {
        return names().table();
    }

    /** The version table's name as written in SQL. */
    public String qualifiedVersionTable() {
        return Identifiers.qualified(schema, versionTable);
    }

    /** The name of the index that retention cleanup reads, {@code <name>_cleanup_idx}. */
    public String cleanupIndex() {
        return names().plain(CLEANUP_INDEX_SUFFIX);
    }

    /** The table's migrations in order, with this table's names written in. */
    public List<Migration> migrations() {
        return runner().migrations();
    }

    /**
     * Every migration as one printable SQL text, to paste into Flyway, Liquibase or psql: the schema when one is set,
     * then the statements that create the table and its index if they do not exist. It does not touch the version
     * table, which only {@link ProcessedMessages#migrate()} uses.
     */
    public String migrationSql() {
        return "-- Outbox dedup table " + qualifiedName() + "\n" + runner().script();
    }

    private Names names() {
        return Names.of(schema, "schema", name, "name");
    }

    private MigrationRunner runner() {
        return DedupMigrations.runner(schema, name, versionTable);
    }
}
