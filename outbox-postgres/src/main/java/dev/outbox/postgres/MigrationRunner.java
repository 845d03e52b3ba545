package dev.outbox.postgres;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.StoreException;
import dev.outbox.spi.Validation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one migration runner of the outbox's PostgreSQL modules: versioned SQL files shipped in a jar, rendered for the
 * configured names, applied in order and recorded in a version table.
 *
 * <p><b>Files.</b> One file per version, next to the module's classes, named {@code V<n>__<what_it_does>.sql} ({@code
 * V1__outbox.sql}, {@code V2__transaction_ids.sql}) and listed in order where the module builds its runner. A shipped
 * file is never edited: a change is the next version. A file names tables and indexes through placeholders only, which
 * are replaced with names that passed {@link Identifiers}' rule (see {@link Names}):
 *
 * <ul>
 *   <li>{@code ${table:message}}: the table {@code <base>_message}, quoted and schema-qualified;
 *   <li>{@code ${name:message_pending}}: {@code <base>_message_pending} quoted, for an index or a constraint;
 *   <li>{@code ${table}}: the base itself as a table;
 *   <li>{@code ${lanes}} and other parameters the module gives: integers.
 * </ul>
 *
 * Rendering happens when the runner is built, so a configured name that would make any name of any version too long
 * fails there, naming its setting; a placeholder the runner does not know is a bug of the file and fails the same way.
 *
 * <p><b>Version table.</b> One row per applied version: {@code (subject, version, description, applied_at)}, primary
 * key {@code (subject, version)}, where the subject names what was migrated (the store's table prefix, the dedup
 * table's name), so that several subjects may share one version table. Version tables that 0.1.0 wrote (the store's
 * {@code version text} key, the dedup module's {@code table_name} column) are converted in place by the first
 * migration.
 *
 * <p>Immutable and thread-safe.
 */
public final class MigrationRunner {
    /**
     * First key of the advisory lock that serialises migrations: a constant of the outbox, so that its locks do not
     * collide with an application's; the second key is derived from the version table's name.
     */
    private static final int LOCK_CLASS = 0x0DED0B0C;

    private static final Pattern FILE = Pattern.compile("V([1-9][0-9]*)__([a-z0-9_]+)\\.sql");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)(?::([a-z0-9_]+))?}");

    /** The files' text, read once per class loader and resource. */
    private static final Map<String, String> TEXTS = new ConcurrentHashMap<>();

    private final String subject;
    private final Names names;
    private final String versionTable;
    private final List<Migration> migrations;

    private MigrationRunner(String subject, Names names, String versionTable, List<Migration> migrations) {
        this.subject = subject;
        this.names = names;
        this.versionTable = versionTable;
        this.migrations = migrations;
    }

    /**
     * A builder for the files {@code directory/<file>}, resources relative to {@code anchor}'s package.
     *
     * @param files the file names, in version order
     */
    public static Builder builder(Class<?> anchor, String directory, String... files) {
        return new Builder(anchor, directory, Validation.elements(files, "files"));
    }

    /** Every migration, rendered, in version order. */
    public List<Migration> migrations() {
        return migrations;
    }

    /** The names the migrations were rendered for. */
    public Names names() {
        return names;
    }

    /** The version table, as written in SQL text. */
    public String versionTable() {
        return versionTable;
    }

    /**
     * Every migration as one printable script, for Flyway, Liquibase or a DBA: the schema (when one is configured),
     * then each version under a comment naming it. It does not touch the version table, which only {@link #migrate}
     * uses.
     */
    public String script() {
        StringBuilder out = new StringBuilder();
        names.schema().ifPresent(s -> out.append("create schema if not exists ")
                .append(Identifiers.quote(s))
                .append(";\n"));
        for (Migration m : migrations) {
            out.append("\n-- V")
                    .append(m.version())
                    .append(": ")
                    .append(m.description())
                    .append('\n');
            out.append(m.sql());
        }
        return out.toString();
    }

    /**
     * Creates the schema if it is missing, then applies the migrations the version table does not record for this
     * subject, in order, recording each. Runs under an advisory lock, so that instances starting at once apply each
     * version once. Runs in the connection's transaction when one is open (auto-commit off), which the caller then
     * commits; otherwise in one transaction of its own, committed here.
     *
     * @param connection a connection to the database; not closed here
     * @return the migrations this call applied, empty when everything was applied before
     * @throws StoreException if the database refused a statement (the transaction of its own is rolled back)
     * @throws InvalidConfigurationException if the version table has a shape this runner does not know
     */
    public List<Migration> migrate(Connection connection) {
        boolean own;
        try {
            own = connection.getAutoCommit();
        } catch (SQLException e) {
            throw failure(e);
        }
        try {
            if (own) {
                connection.setAutoCommit(false);
            }
            List<Migration> applied = apply(connection);
            if (own) {
                connection.commit();
            }
            return applied;
        } catch (SQLException | RuntimeException e) {
            if (own) {
                try {
                    connection.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            throw e instanceof SQLException s ? failure(s) : (RuntimeException) e;
        } finally {
            if (own) {
                try {
                    connection.setAutoCommit(true);
                } catch (SQLException e) {
                    // The caller's pool resets it, or discards a broken connection.
                }
            }
        }
    }

    private StoreException failure(SQLException e) {
        return new StoreException("could not migrate " + names + " (" + subject + "): " + e.getMessage(), e);
    }

    private List<Migration> apply(Connection c) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("select pg_advisory_xact_lock(?, hashtext(?))")) {
            lock.setInt(1, LOCK_CLASS);
            lock.setString(2, versionTable);
            lock.execute();
        }
        if (names.schema().isPresent()) {
            createSchema(c, names.schema().get());
        }
        prepareVersionTable(c);
        Set<Integer> done = new TreeSet<>();
        try (PreparedStatement ps = c.prepareStatement("select version from " + versionTable + " where subject = ?")) {
            ps.setString(1, subject);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    done.add(rs.getInt(1));
                }
            }
        }
        List<Migration> applied = new ArrayList<>();
        for (Migration m : migrations) {
            if (done.contains(m.version())) {
                continue;
            }
            try (Statement st = c.createStatement()) {
                st.execute(m.sql());
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into " + versionTable + " (subject, version, description) values (?, ?, ?)")) {
                ps.setString(1, subject);
                ps.setInt(2, m.version());
                ps.setString(3, m.description());
                ps.executeUpdate();
            }
            applied.add(m);
        }
        return List.copyOf(applied);
    }

    /** Creates the schema only when it is missing: {@code create schema if not exists} needs a privilege even then. */
    private static void createSchema(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select 1 from pg_namespace where nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("create schema if not exists " + Identifiers.quote(schema));
        }
    }

    /** Creates the version table, or converts one of the shapes 0.1.0 wrote. */
    private void prepareVersionTable(Connection c) throws SQLException {
        Map<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select a.attname, format_type(a.atttypid, a.atttypmod)"
                + " from pg_attribute a where a.attrelid = to_regclass(?) and a.attnum > 0 and not a.attisdropped")) {
            ps.setString(1, versionTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        try (Statement st = c.createStatement()) {
            if (columns.isEmpty()) {
                st.execute("create table if not exists " + versionTable + " (\n"
                        + "    subject     text        not null,\n"
                        + "    version     integer     not null,\n"
                        + "    description text        not null,\n"
                        + "    applied_at  timestamptz not null default now(),\n"
                        + "    primary key (subject, version)\n"
                        + ")");
            } else if (columns.containsKey("subject")) {
                return;
            } else if (columns.containsKey("table_name") && "integer".equals(columns.get("version"))) {
                // The dedup module's 0.1.0 table: the same rows, the subject under another name.
                st.execute("alter table " + versionTable + " rename column table_name to subject");
            } else if ("text".equals(columns.get("version")) && columns.containsKey("applied_at")) {
                // The store's 0.1.0 table: one row per applied file, keyed by the file's name.
                convertFileKeyedTable(c, st);
            } else {
                throw new InvalidConfigurationException("the version table " + versionTable + " has columns "
                        + columns.keySet() + " that the outbox's migrations do not know: is it another tool's table?");
            }
        }
    }

    private void convertFileKeyedTable(Connection c, Statement st) throws SQLException {
        st.execute("alter table " + versionTable
                + " add column subject text, add column description text, add column number integer");
        try (PreparedStatement ps = c.prepareStatement("update " + versionTable + " set subject = ?,"
                + " number = substring(version from '^V([0-9]+)__')::integer,"
                + " description = replace(substring(version from '^V[0-9]+__(.*)[.]sql$'), '_', ' ')")) {
            ps.setString(1, subject);
            ps.executeUpdate();
        }
        st.execute("alter table " + versionTable + " drop column version");
        st.execute("alter table " + versionTable + " rename column number to version");
        st.execute("alter table " + versionTable + " alter column subject set not null,"
                + " alter column version set not null, alter column description set not null,"
                + " add primary key (subject, version)");
    }

    /** Builds {@link MigrationRunner}; {@link #build()} renders every file and checks every name. */
    public static final class Builder {
        private final Class<?> anchor;
        private final String directory;
        private final List<String> files;
        private final Map<String, Long> parameters = new LinkedHashMap<>();
        private Names names;
        private String subject;
        private String versionTable;

        private Builder(Class<?> anchor, String directory, List<String> files) {
            this.anchor = Validation.notNull(anchor, "anchor");
            this.directory = Validation.notNull(directory, "directory");
            this.files = files;
        }

        /** The names to render the files for. Required. */
        public Builder names(Names names) {
            this.names = names;
            return this;
        }

        /**
         * What is migrated, as the version table records it: the base name, unless several runners share a base.
         * Default: the names' base.
         */
        public Builder subject(String subject) {
            this.subject = subject;
            return this;
        }

        /**
         * The version table, in the names' schema.
         *
         * @param name a name that passed {@link Identifiers#check} (or {@link Names#plain})
         */
        public Builder versionTable(String name) {
            this.versionTable = name;
            return this;
        }

        /** An integer the files name as {@code ${name}}. */
        public Builder parameter(String name, long value) {
            parameters.put(Validation.notNull(name, "parameter name"), value);
            return this;
        }

        /**
         * Renders every file for the names.
         *
         * @throws InvalidConfigurationException naming the setting that makes a name too long
         * @throws IllegalStateException if a file is missing, misnamed, out of order or has an unknown placeholder (a
         *     bug of the module, not of its configuration)
         */
        public MigrationRunner build() {
            Validation.notNull(names, "names");
            Validation.notNull(versionTable, "versionTable");
            String qualifiedVersionTable = Identifiers.qualified(names.schema(), versionTable);
            String subjectName = subject == null ? names.base() : subject;
            List<Migration> rendered = new ArrayList<>(files.size());
            for (int i = 0; i < files.size(); i++) {
                String file = files.get(i);
                Matcher m = FILE.matcher(file);
                if (!m.matches() || Integer.parseInt(m.group(1)) != i + 1) {
                    throw new IllegalStateException("migration " + file + " must be named V" + (i + 1)
                            + "__<what_it_does>.sql: files are numbered from 1 without gaps, in order");
                }
                rendered.add(new Migration(i + 1, m.group(2).replace('_', ' '), render(file, text(file))));
            }
            return new MigrationRunner(subjectName, names, qualifiedVersionTable, List.copyOf(rendered));
        }

        private String render(String file, String text) {
            Matcher m = PLACEHOLDER.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String kind = m.group(1);
                String suffix = m.group(2);
                String value;
                if (kind.equals("table")) {
                    value = suffix == null ? names.table() : names.table(suffix);
                } else if (kind.equals("name") && suffix != null) {
                    value = names.name(suffix);
                } else if (suffix == null && parameters.containsKey(kind)) {
                    value = Long.toString(parameters.get(kind));
                } else {
                    throw new IllegalStateException("migration " + file + " has an unknown placeholder " + m.group());
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            if (out.indexOf("${") >= 0) {
                throw new IllegalStateException("migration " + file + " has a malformed placeholder");
            }
            return out.toString().strip() + "\n";
        }

        private String text(String file) {
            String resource = directory.isEmpty() ? file : directory + "/" + file;
            String key = anchor.getName() + "#" + resource;
            return TEXTS.computeIfAbsent(key, k -> {
                try (InputStream in = anchor.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new IllegalStateException(
                                "migration " + resource + " is missing from the jar of " + anchor.getName());
                    }
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read migration " + resource, e);
                }
            });
        }
    }
}
