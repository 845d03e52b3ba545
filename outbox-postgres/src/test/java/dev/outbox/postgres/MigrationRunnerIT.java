package dev.outbox.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.StoreException;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.Schema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared runner on a real PostgreSQL: once per version, recorded, atomic, in a transaction of its own or the caller's. */
class MigrationRunnerIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static MigrationRunner runner(Schema schema, String... files) {
        return MigrationRunner.builder(MigrationRunnerIT.class, files[0].contains("failing") ? "bad" : "good", files)
                .names(Names.of(Optional.of(schema.name()), "schema", "items", "prefix"))
                .versionTable("items_version")
                .parameter("size", 3)
                .build();
    }

    @Test
    void eachVersionIsAppliedOnceAndRecorded() throws Exception {
        Schema schema = pg.freshSchema();
        MigrationRunner first = runner(schema, "V1__first.sql");
        MigrationRunner both = runner(schema, "V1__first.sql", "V2__second_step.sql");
        try (Connection c = schema.dataSource().getConnection()) {
            assertThat(first.migrate(c)).extracting(Migration::version).containsExactly(1);
            assertThat(both.migrate(c)).extracting(Migration::version).containsExactly(2);
            assertThat(both.migrate(c)).isEmpty();
            assertThat(c.getAutoCommit())
                    .as("the connection is handed back as it came")
                    .isTrue();
        }
        assertThat(strings(
                        schema,
                        "select subject || ':' || version || ':' || description from items_version"
                                + " order by version"))
                .containsExactly("items:1:first", "items:2:second step");
        assertThat(strings(
                        schema,
                        "select indexname from pg_indexes where schemaname = current_schema()"
                                + " and tablename = 'items_item' order by indexname"))
                .contains("items_item_size");
    }

    @Test
    void aFailingVersionLeavesNothingBehind() throws Exception {
        Schema schema = pg.freshSchema();
        try (Connection c = schema.dataSource().getConnection()) {
            assertThatThrownBy(() -> runner(schema, "V1__failing.sql").migrate(c))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining(schema.name() + ".items_*")
                    .hasMessageContaining("division by zero");
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(strings(schema, "select tablename from pg_tables where schemaname = current_schema()"))
                .isEmpty();
    }

    @Test
    void insideTheCallersTransactionItCommitsNothingItself() throws Exception {
        Schema schema = pg.freshSchema();
        try (Connection c = schema.dataSource().getConnection()) {
            c.setAutoCommit(false);
            assertThat(runner(schema, "V1__first.sql").migrate(c)).hasSize(1);
            c.rollback();
        }
        assertThat(strings(schema, "select tablename from pg_tables where schemaname = current_schema()"))
                .isEmpty();
    }

    @Test
    void aMissingSchemaIsCreated() throws Exception {
        Schema home = pg.freshSchema();
        String name = home.name() + "_new";
        MigrationRunner runner = MigrationRunner.builder(MigrationRunnerIT.class, "good", "V1__first.sql")
                .names(Names.of(Optional.of(name), "schema", "items", "prefix"))
                .versionTable("items_version")
                .parameter("size", 3)
                .build();
        try (Connection c = home.dataSource().getConnection()) {
            assertThat(runner.migrate(c)).hasSize(1);
        } finally {
            execute(home, "drop schema if exists " + name + " cascade");
        }
    }

    @Test
    void instancesMigratingAtOnceApplyEachVersionOnce() throws Exception {
        Schema schema = pg.freshSchema();
        int instances = 4;
        ExecutorService pool = Executors.newFixedThreadPool(instances, r -> new Thread(r, "outbox-test-migrate"));
        try {
            CyclicBarrier start = new CyclicBarrier(instances);
            List<Future<List<Migration>>> results = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    try (Connection c = schema.dataSource().getConnection()) {
                        return runner(schema, "V1__first.sql", "V2__second_step.sql")
                                .migrate(c);
                    }
                }));
            }
            int applied = 0;
            for (Future<List<Migration>> f : results) {
                applied += f.get(30, TimeUnit.SECONDS).size();
            }
            assertThat(applied).isEqualTo(2);
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aVersionTableOfAnotherShapeIsRefused() throws Exception {
        Schema schema = pg.freshSchema();
        execute(schema, "create table items_version (installed_rank int, script text)");
        try (Connection c = schema.dataSource().getConnection()) {
            assertThatThrownBy(() -> runner(schema, "V1__first.sql").migrate(c))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("items_version")
                    .hasMessageContaining("installed_rank");
        }
    }

    private static void execute(Schema schema, String sql) throws SQLException {
        try (Connection c = schema.dataSource().getConnection();
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static List<String> strings(Schema schema, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = schema.dataSource().getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
