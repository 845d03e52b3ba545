package dev.outbox.consumer.dedup;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.consumer.dedup.internal.Checks;
import dev.outbox.consumer.dedup.internal.MigrationScripts;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where the processed-message records live: the table, the schema, and the small table that records which {@link
 * Migration}s ran. Every name is an SQL identifier of lowercase letters, digits and {@code _}, not starting with a
 * digit, at most 63 characters: these are the only names written into SQL text, always quoted; every value is bound as
 * a parameter.
 *
 * <pre>{@code
 * DedupTable.DEFAULT                                  // outbox_processed_message, on the search path
 * DedupTable.named("orders_processed").inSchema("orders")
 * }</pre>
 *
 * @param schema the schema, which must exist; empty for the connection's search path (the default)
 * @param name the table, default {@value #DEFAULT_NAME}
 * @param versionTable the table recording applied migrations, in the same schema, default {@value
 *     #DEFAULT_VERSION_TABLE}; several dedup tables of one schema may share it
 */
public record DedupTable(Optional<String> schema, String name, String versionTable) {

    /** The default table name. */
    public static final String DEFAULT_NAME = "outbox_processed_message";

    /** The default name of the table recording applied migrations. */
    public static final String DEFAULT_VERSION_TABLE = "outbox_dedup_version";

    /** {@value #DEFAULT_NAME} and {@value #DEFAULT_VERSION_TABLE} on the connection's search path. */
    public static final DedupTable DEFAULT = new DedupTable(Optional.empty(), DEFAULT_NAME, DEFAULT_VERSION_TABLE);

    private static final String CLEANUP_INDEX_SUFFIX = "_cleanup_idx";

    /**
     * @throws InvalidConfigurationException naming the argument that is not a valid identifier, or if {@code name}
     *     and {@code versionTable} are the same
     */
    public DedupTable {
        if (schema == null) {
            throw new InvalidConfigurationException("schema must not be null (use Optional.empty())");
        }
        schema.ifPresent(s -> Checks.identifier(s, "schema"));
        Checks.identifier(name, "name");
        Checks.identifier(versionTable, "versionTable");
        if (name.equals(versionTable)) {
            throw new InvalidConfigurationException("name and versionTable must differ, both were '" + name + "'");
        }
    }

    /**
     * The table {@code name} on the search path, with the default version table.
     *
     * @throws InvalidConfigurationException if {@code name} is not a valid identifier
     */
    public static DedupTable named(String name) {
        return new DedupTable(Optional.empty(), name, DEFAULT_VERSION_TABLE);
    }

    /**
     * This table in {@code schema}.
     *
     * @throws InvalidConfigurationException if {@code schema} is not a valid identifier
     */
    public DedupTable inSchema(String schema) {
        return new DedupTable(Optional.ofNullable(Checks.identifier(schema, "schema")), name, versionTable);
    }

    /**
     * This configuration with another version table.
     *
     * @throws InvalidConfigurationException if {@code versionTable} is not a valid identifier
     */
    public DedupTable withVersionTable(String versionTable) {
        return new DedupTable(schema, name, versionTable);
    }

    /** The table's name as written in SQL: quoted, and schema-qualified when a schema is set. */
    public String qualifiedName() {
        return qualify(name);
    }

    /** The version table's name as written in SQL. */
    public String qualifiedVersionTable() {
        return qualify(versionTable);
    }

    /**
     * The name of the index that retention cleanup reads, {@code <name>_cleanup_idx}; the table name is shortened
     * when needed so the index name stays within 63 characters.
     */
    public String cleanupIndex() {
        String base = name.substring(
                0, Math.min(name.length(), Checks.MAX_IDENTIFIER_LENGTH - CLEANUP_INDEX_SUFFIX.length()));
        return base + CLEANUP_INDEX_SUFFIX;
    }

    /** The table's migrations in order, with this table's names written in. */
    public List<Migration> migrations() {
        return MigrationScripts.render(qualifiedName(), quote(cleanupIndex()));
    }

    /**
     * Every migration as one printable SQL text, to paste into Flyway, Liquibase or psql. The statements create the
     * table and its index if they do not exist; they do not touch the version table, which only {@link
     * ProcessedMessages#migrate()} uses.
     */
    public String migrationSql() {
        return migrations().stream()
                .map(m -> "-- " + qualifiedName() + " V" + m.version() + ": " + m.description() + "\n" + m.sql())
                .collect(Collectors.joining("\n"));
    }

    private String qualify(String table) {
        return schema.map(s -> quote(s) + "." + quote(table)).orElseGet(() -> quote(table));
    }

    private static String quote(String identifier) {
        // Validated identifiers contain no quote; quoting keeps reserved words such as "order" usable as names.
        return '"' + identifier + '"';
    }
}
