package dev.outbox.store.jdbi;

import dev.outbox.InvalidConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;

/** The store's versioned SQL, shipped in the jar and rendered for the configured names. */
final class Migrations {
    /** Every migration, in order. Never edit a shipped one: add the next. */
    private static final List<String> FILES = List.of("V1__outbox.sql", "V2__positions.sql");

    private final JdbiStoreConfig config;

    Migrations(JdbiStoreConfig config) {
        this.config = config;
    }

    /** The whole script, every version, for a migration tool. */
    String script() {
        StringBuilder out = new StringBuilder();
        out.append("-- Outbox store schema for ")
                .append(config.table("*"))
                .append(", ")
                .append(config.lanes())
                .append(" lanes.\n");
        config.schema()
                .ifPresent(s ->
                        out.append("create schema if not exists ").append(s).append(";\n"));
        for (String file : FILES) {
            out.append("\n-- ").append(file).append('\n').append(render(file));
        }
        return out.toString();
    }

    void apply(Handle h) {
        // Serialise concurrent migrations of the same tables across processes.
        h.createQuery("select 1 from pg_advisory_xact_lock(hashtext(:name))")
                .bind("name", config.table("schema_version"))
                .mapTo(Integer.class)
                .one();
        config.schema().ifPresent(s -> h.execute("create schema if not exists " + s));
        h.execute("create table if not exists " + config.table("schema_version")
                + " (version text primary key, applied_at timestamptz not null default now())");
        Set<String> applied = new TreeSet<>(h.createQuery("select version from " + config.table("schema_version"))
                .mapTo(String.class)
                .list());
        for (String file : FILES) {
            if (applied.contains(file)) {
                continue;
            }
            h.createScript(render(file)).execute();
            h.createUpdate("insert into " + config.table("schema_version") + " (version) values (:v)")
                    .bind("v", file)
                    .execute();
        }
    }

    private String render(String file) {
        String name = "migrations/" + file;
        try (InputStream in = Migrations.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new InvalidConfigurationException("migration " + name + " is missing from the jar");
            }
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return sql.replace("${t}", config.table(""))
                    .replace("${n}", config.tablePrefix() + "_")
                    .replace("${lanes}", Integer.toString(config.lanes()));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read migration " + name, e);
        }
    }
}
