package dev.outbox.consumer.dedup.internal;

import dev.outbox.consumer.dedup.Migration;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The dedup table's migrations, shipped as SQL files next to this class. A file names the tables through placeholders
 * ({@code ${table}}, {@code ${cleanup_index}}) that are replaced with validated identifiers only.
 */
public final class MigrationScripts {
    private record Script(int version, String description, String resource) {}

    /** In order; a released script is never edited, a change is a new script. */
    private static final List<Script> SCRIPTS =
            List.of(new Script(1, "processed message table", "V1__processed_message.sql"));

    private MigrationScripts() {}

    /**
     * Every migration, rendered.
     *
     * @param qualifiedTable the quoted, possibly schema-qualified table name
     * @param cleanupIndex the quoted name of the retention index (an index lives in its table's schema)
     */
    public static List<Migration> render(String qualifiedTable, String cleanupIndex) {
        Map<String, String> values = Map.of("${table}", qualifiedTable, "${cleanup_index}", cleanupIndex);
        return SCRIPTS.stream()
                .map(s -> new Migration(s.version(), s.description(), substitute(load(s.resource()), values)))
                .toList();
    }

    /** Creates the table that records which migrations ran on which dedup table of a schema. */
    public static String versionTableDdl(String qualifiedVersionTable) {
        return "create table if not exists " + qualifiedVersionTable + " (\n"
                + "    table_name  text        not null,\n"
                + "    version     integer     not null,\n"
                + "    description text        not null,\n"
                + "    applied_at  timestamptz not null default now(),\n"
                + "    primary key (table_name, version)\n"
                + ")";
    }

    private static String substitute(String text, Map<String, String> values) {
        String out = text;
        for (Map.Entry<String, String> e : values.entrySet()) {
            out = out.replace(e.getKey(), e.getValue());
        }
        if (out.contains("${")) {
            throw new IllegalStateException("a migration has an unknown placeholder: " + out);
        }
        return out.strip() + "\n";
    }

    private static String load(String resource) {
        try (InputStream in = MigrationScripts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("migration " + resource + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read migration " + resource, e);
        }
    }
}
