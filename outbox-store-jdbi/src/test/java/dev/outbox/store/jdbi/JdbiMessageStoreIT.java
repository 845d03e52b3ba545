package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.StoreException;
import dev.outbox.TransactionAbortedException;
import dev.outbox.spi.MessageStore;
import dev.outbox.testkit.MessageStoreContract;
import dev.outbox.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.HashPrefixSqlParser;
import org.jdbi.v3.core.statement.SqlStatements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The JDBI store against a real PostgreSQL: the published contract, and what is particular to this store. */
class JdbiMessageStoreIT extends MessageStoreContract {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();

    private JdbiMessageStore jdbiStore;

    @Override
    protected MessageStore newStore(int lanes) {
        jdbiStore = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("s" + tables.incrementAndGet())
                        .lanes(lanes)
                        // The contract runs on the notifying insert; the other tests of the module use the plain one.
                        .notifyOnAppend(true)
                        .build());
        jdbiStore.migrate();
        return jdbiStore;
    }

    @Override
    protected Connection transaction() throws SQLException {
        Connection c = pg.dataSource().getConnection();
        c.setAutoCommit(false);
        return c;
    }

    @Override
    protected Connection autoCommitConnection() throws SQLException {
        Connection c = pg.dataSource().getConnection();
        c.setAutoCommit(true);
        return c;
    }

    @Test
    void aRelayFrozenInsideItsHeartbeatHoldsNoOtherRelayBackAndLosesItsLanesOnceItsLeaseRunsOut() throws Exception {
        assertThat(jdbiStore.heartbeat("frozen", Duration.ofMillis(300)).claims())
                .hasSize(LANES);
        String relays = jdbiStore.config().tablePrefix() + "_relay";
        try (Connection frozen = transaction()) {
            // Where the frozen relay's own heartbeat stopped: its row locked, the transaction left open.
            try (java.sql.Statement st = frozen.createStatement()) {
                st.execute("update " + relays + " set heartbeat_at = heartbeat_at where id = 'frozen'");
            }
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> pg.jdbi().withHandle(h -> h.createQuery("select count(*) from " + relays
                                            + " where id = 'frozen' and lease_until < now()")
                                    .mapTo(Integer.class)
                                    .one())
                            == 1);

            var other = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> jdbiStore.heartbeat("other", Duration.ofSeconds(30)));
            var assignment = other.get(10, java.util.concurrent.TimeUnit.SECONDS);

            assertThat(assignment.claims()).hasSize(LANES);
            assertThat(assignment.liveRelays()).isEqualTo(1);
            frozen.rollback();
        }
    }

    @Test
    void migrateIsIdempotent() {
        jdbiStore.migrate();
        jdbiStore.migrate();
        assertThat(jdbiStore.status()).hasSize(LANES);
    }

    @Test
    void migrationScriptNamesTheConfiguredTablesAndLaneCount() {
        JdbiMessageStore other = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .schema("billing")
                        .tablePrefix("events")
                        .lanes(16)
                        .build());
        String script = other.migrationScript();
        assertThat(script)
                .contains("create schema if not exists \"billing\";")
                .contains("create table \"billing\".\"events_message\"")
                .contains("create table \"billing\".\"events_lane\"")
                .contains("generate_series(0, 16 - 1)")
                .doesNotContain("${");
    }

    @Test
    void migrationScriptAppliedByHandCreatesWorkingTables() {
        String schema = "hand_" + tables.incrementAndGet();
        JdbiMessageStore byHand = JdbiMessageStore.create(
                pg.jdbi(), JdbiStoreConfig.builder().schema(schema).lanes(4).build());
        pg.jdbi().useHandle(h -> h.createScript(byHand.migrationScript()).execute());
        try {
            assertThat(byHand.status()).hasSize(4);
        } finally {
            pg.jdbi().useHandle(h -> h.execute("drop schema " + schema + " cascade"));
        }
    }

    @Test
    void aDifferentLaneCountThanTheTablesIsRefused() {
        JdbiMessageStore wrong = JdbiMessageStore.create(
                pg.jdbi(),
                new JdbiStoreConfig(
                        jdbiStore.config().schema(),
                        jdbiStore.config().tablePrefix(),
                        LANES * 2,
                        jdbiStore.config().retention(),
                        true));
        assertThatThrownBy(wrong::migrate)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("has " + LANES + " lanes")
                .hasMessageContaining(String.valueOf(LANES * 2));
    }

    @Test
    void missingTablesAreNamedInTheError() {
        JdbiMessageStore missing = JdbiMessageStore.create(
                pg.jdbi(), JdbiStoreConfig.builder().tablePrefix("nothing_here").build());
        assertThatThrownBy(() -> missing.heartbeat("r", Duration.ofSeconds(5)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("nothing_here_message")
                .hasMessageContaining("migrate()");
    }

    @Test
    void badIdentifiersAreRefused() {
        assertThatThrownBy(() ->
                        JdbiStoreConfig.builder().tablePrefix("x; drop table y").build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("tablePrefix");
        assertThatThrownBy(() -> JdbiStoreConfig.builder().schema("Public").build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("schema");
        assertThatThrownBy(() -> JdbiStoreConfig.builder().lanes(0).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("lanes");
        assertThatThrownBy(
                        () -> JdbiStoreConfig.builder().retention(Duration.ZERO).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("retention");
    }

    @Test
    void anAppendOnATransactionAbortedByAnEarlierStatementSaysSo() throws SQLException {
        try (Connection c = transaction()) {
            try (var st = c.createStatement()) {
                st.execute("select 1 / 0");
            } catch (SQLException swallowed) {
                // the caller's earlier statement failed; PostgreSQL has aborted the transaction
            }
            assertThatThrownBy(() -> jdbiStore.append(c, List.of(message("t", "k", "after a failure"))))
                    .isInstanceOf(TransactionAbortedException.class)
                    .hasMessageContaining("aborted")
                    .hasMessageContaining("roll it back");
            c.rollback();
            assertThat(jdbiStore.append(c, List.of(message("t", "k", "after the rollback"))))
                    .hasSize(1);
            c.rollback();
        }
    }

    @Test
    void theCallersStatementSettingsDoNotReachTheStoresSql() {
        Jdbi custom = Jdbi.create(pg.dataSource());
        custom.getConfig(SqlStatements.class)
                .setSqlParser(new HashPrefixSqlParser())
                .setTemplateEngine((template, ctx) -> {
                    throw new IllegalStateException("the application's template engine ran on " + template);
                });
        JdbiMessageStore store = JdbiMessageStore.create(
                custom,
                JdbiStoreConfig.builder()
                        .tablePrefix("custom" + tables.incrementAndGet())
                        .lanes(4)
                        .build());

        store.migrate();
        var claims = store.heartbeat("relay", Duration.ofSeconds(30)).claims();
        assertThat(claims).hasSize(4);
        assertThat(store.fetch(new dev.outbox.spi.FetchRequest(
                                claims.stream()
                                        .map(c -> new dev.outbox.spi.LaneCursor(c.lane(), 0, 10))
                                        .toList(),
                                10,
                                dev.outbox.spi.ReadMark.NONE))
                        .messages())
                .isEmpty();
        assertThat(store.status()).hasSize(4);
        store.leave("relay");
        // The handle a nested call shares with the application keeps the application's settings afterwards.
        custom.useHandle(h -> {
            assertThat(store.stoppedLanes()).isEmpty();
            assertThat(h.getConfig(SqlStatements.class).getSqlParser()).isInstanceOf(HashPrefixSqlParser.class);
        });
    }

    @Test
    void aCommittedAppendWakesTheListener() throws Exception {
        AtomicInteger woken = new AtomicInteger();
        AutoCloseable listening = jdbiStore.onAppend(woken::incrementAndGet);
        try {
            // The listener connects asynchronously: keep appending until a commit is heard.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                appendCommitted(message("t", "k", "wake"));
                return woken.get() > 0;
            });
            int before = woken.get();
            try (Connection c = transaction()) {
                jdbiStore.append(c, List.of(message("t", "k", "rolled back")));
                c.rollback();
            }
            appendCommitted(message("t", "k", "again"));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> woken.get() > before);
        } finally {
            listening.close();
        }
    }

    @Test
    void retentionMarksSentAndPurgesInBoundedBatches() throws SQLException {
        JdbiMessageStore kept = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("r" + tables.incrementAndGet())
                        .lanes(LANES)
                        .retention(Duration.ofMillis(1))
                        .build());
        kept.migrate();
        var ids = new java.util.ArrayList<dev.outbox.MessageId>();
        for (int i = 0; i < 5; i++) {
            try (Connection c = transaction()) {
                ids.addAll(kept.append(c, List.of(message("t", "k" + i, "x"))));
                c.commit();
            }
        }
        var a = kept.heartbeat("relay-a", Duration.ofSeconds(30));
        assertThat(kept.acknowledge("relay-a", a.claims(), ids)).isEqualTo(5);
        assertThat(kept.fetch(new dev.outbox.spi.FetchRequest(
                                a.claims().stream()
                                        .map(c -> new dev.outbox.spi.LaneCursor(c.lane(), 0, 100))
                                        .toList(),
                                100,
                                dev.outbox.spi.ReadMark.NONE))
                        .messages())
                .isEmpty();
        Integer rows = pg.jdbi().withHandle(h -> h.createQuery(
                        "select count(*) from " + kept.config().tablePrefix() + "_message")
                .mapTo(Integer.class)
                .one());
        assertThat(rows).isEqualTo(5);

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> kept.purgeSent(2) == 2);
        assertThat(kept.purgeSent(2)).isEqualTo(2);
        assertThat(kept.purgeSent(2)).isEqualTo(1);
        assertThat(kept.purgeSent(2)).isEqualTo(0);
    }
}
