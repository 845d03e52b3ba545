package dev.outbox.admin;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.StoreException;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine.Option;

/** Where the outbox lives: the options every command shares, and how they become a store. */
final class DatabaseOptions {
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&;]*");
    private static final Pattern USER_INFO = Pattern.compile("(//)[^/@]*@");

    @Option(
            names = "--jdbc-url",
            paramLabel = "URL",
            defaultValue = "${env:OUTBOX_JDBC_URL}",
            description = "PostgreSQL JDBC URL, e.g. jdbc:postgresql://db:5432/app. Env: OUTBOX_JDBC_URL.")
    String url;

    @Option(
            names = "--user",
            paramLabel = "NAME",
            defaultValue = "${env:OUTBOX_DB_USER}",
            description = "Database user. Env: OUTBOX_DB_USER.")
    String user;

    @Option(
            names = "--password",
            paramLabel = "SECRET",
            arity = "0..1",
            interactive = true,
            defaultValue = "${env:OUTBOX_DB_PASSWORD}",
            description =
                    "Database password; give the option alone to be prompted. Prefer the env: OUTBOX_DB_PASSWORD.")
    char[] password;

    @Option(
            names = "--schema",
            paramLabel = "NAME",
            description = "Schema of the outbox tables. Default: the connection's search path.")
    String schema;

    @Option(
            names = "--table-prefix",
            paramLabel = "PREFIX",
            defaultValue = "outbox",
            description = "Prefix of the outbox table names. Default: outbox.")
    String tablePrefix;

    @Option(
            names = "--lanes",
            paramLabel = "N",
            description = "Lane count. Default: read from the tables (64 when migrate creates them).")
    Integer lanes;

    /** The store settings with {@code lanes} lanes; bad names are a usage error. */
    JdbiStoreConfig config(int laneCount) {
        try {
            return JdbiStoreConfig.builder()
                    .schema(schema)
                    .tablePrefix(tablePrefix)
                    .lanes(laneCount)
                    .notifyOnAppend(false)
                    .build();
        } catch (InvalidConfigurationException e) {
            // The store names its settings; the operator knows them as options.
            String message = e.getMessage()
                    .replaceFirst("^tablePrefix ", "--table-prefix ")
                    .replaceFirst("^schema ", "--schema ")
                    .replaceFirst("^lanes ", "--lanes ");
            throw new AdminException(OutboxAdmin.EXIT_USAGE, message, e);
        }
    }

    /** The qualified name pattern of the tables, for messages. */
    String tables() {
        return (schema == null ? "" : schema + ".") + tablePrefix + "_*";
    }

    /** A store on the database, after checking that it answers and that the tables exist (unless creating them). */
    JdbiMessageStore open(boolean creating) {
        config(lanes == null ? JdbiStoreConfig.DEFAULT_LANES : lanes); // names first: a usage error beats a network one
        String jdbcUrl = checkedUrl();
        Properties props = properties();
        Integer existing;
        try (Connection c = DriverManager.getConnection(jdbcUrl, props)) {
            existing = laneCount(c, config(1));
        } catch (SQLException e) {
            throw new AdminException(
                    OutboxAdmin.EXIT_DATABASE,
                    "cannot connect to " + redact(jdbcUrl) + " as " + (user == null ? "the default user" : user) + ": "
                            + redact(String.valueOf(e.getMessage())),
                    e);
        }
        if (existing == null && !creating) {
            throw new AdminException(
                    OutboxAdmin.EXIT_NOT_MIGRATED,
                    "no outbox tables " + tables() + " in " + redact(jdbcUrl)
                            + ": check --schema and --table-prefix, or create them with 'outbox-admin migrate'");
        }
        int count;
        if (lanes != null) {
            count = lanes;
            if (existing != null && existing != count) {
                throw new AdminException(
                        OutboxAdmin.EXIT_NOT_MIGRATED,
                        "the tables " + tables() + " have " + existing + " lanes, not " + count
                                + " as --lanes says; leave --lanes out to use theirs");
            }
        } else {
            count = existing != null ? existing : JdbiStoreConfig.DEFAULT_LANES;
        }
        return JdbiMessageStore.create(Jdbi.create(jdbcUrl, props), config(count));
    }

    /** A store that never connects, for printing the schema. */
    JdbiMessageStore offline() {
        JdbiStoreConfig config = config(lanes == null ? JdbiStoreConfig.DEFAULT_LANES : lanes);
        Jdbi none = Jdbi.create(() -> {
            throw new SQLException("printing the schema needs no database");
        });
        return JdbiMessageStore.create(none, config);
    }

    /** Lanes of the existing tables, or null if they do not exist. */
    private static Integer laneCount(Connection c, JdbiStoreConfig probe) throws SQLException {
        String laneTable = probe.qualifiedTable("lane");
        try (PreparedStatement ps = c.prepareStatement("select to_regclass(?) is not null")) {
            ps.setString(1, laneTable);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return null;
                }
            }
        }
        // The name is built from names JdbiStoreConfig checked and quoted: no input reaches the SQL text unchecked.
        try (PreparedStatement ps = c.prepareStatement("select count(*) from " + laneTable);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            int n = rs.getInt(1);
            return n == 0 ? null : n;
        }
    }

    private String checkedUrl() {
        if (url == null || url.isBlank()) {
            throw new AdminException(
                    OutboxAdmin.EXIT_USAGE, "--jdbc-url is required (or set the environment variable OUTBOX_JDBC_URL)");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new AdminException(
                    OutboxAdmin.EXIT_DATABASE,
                    "--jdbc-url must be a PostgreSQL JDBC URL such as jdbc:postgresql://host:5432/database, was '"
                            + redact(url) + "'");
        }
        return url;
    }

    private Properties properties() {
        Properties p = new Properties();
        if (user != null && !user.isBlank()) {
            p.setProperty("user", user);
        }
        if (password != null && password.length > 0) {
            p.setProperty("password", new String(password));
        }
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "10");
        p.setProperty("socketTimeout", "120");
        p.setProperty("ApplicationName", "outbox-admin");
        return p;
    }

    /** The text without any password it may carry (a URL's password parameter or user-info). */
    String redact(String text) {
        String out = USER_INFO
                .matcher(PASSWORD_PARAM.matcher(text).replaceAll("$1***"))
                .replaceAll("$1***@");
        if (password != null && password.length > 0) {
            out = out.replace(new String(password), "***");
        }
        return out;
    }

    /** Translates a store failure met after connecting. */
    AdminException failure(String what, StoreException e) {
        String detail = e.getCause() != null && e.getCause().getMessage() != null
                ? e.getCause().getMessage()
                : String.valueOf(e.getMessage());
        return new AdminException(
                OutboxAdmin.EXIT_DATABASE, "could not " + what + " in " + redact(url) + ": " + redact(detail), e);
    }
}
