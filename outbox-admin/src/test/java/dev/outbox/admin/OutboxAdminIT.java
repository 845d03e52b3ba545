package dev.outbox.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.Backoff;
import dev.outbox.FatalException;
import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import dev.outbox.testkit.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The command line in-process against a real PostgreSQL, with lanes stopped by a real relay. */
class OutboxAdminIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();
    private static final int LANES = 8;
    private static final String TOPIC = "Warehouse.Events.Admin";

    private final RecordingBroker broker = new RecordingBroker();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String prefix;
    private JdbiMessageStore store;
    private Outbox outbox;
    private Relay relay;

    record Result(int code, String out, String err) {}

    @BeforeEach
    void migrateThroughTheCommandLine() {
        prefix = "adm" + tables.incrementAndGet();
        Result migrate = admin("migrate", "--lanes", Integer.toString(LANES));
        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(migrate.out()).contains(pg.schema().name() + "." + prefix + "_* is up to date (8 lanes)");
        // A second run has nothing to do and says the same.
        assertThat(admin("migrate").code()).isZero();

        store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder().tablePrefix(prefix).lanes(LANES).build());
        outbox = Outbox.builder().store(store).build();
        relay = Relay.builder()
                .store(store)
                .broker(broker)
                .source("admin-it")
                .backoff(Backoff.fixed(Duration.ofMillis(10)))
                .build();
        toClose.add(relay);
        broker.failWhen(m -> payload(m).startsWith("poison")
                ? Optional.of(new FatalException("unroutable: no queue bound"))
                : Optional.empty());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Result admin(String command, String... more) {
        List<String> args = new ArrayList<>(List.of(
                command,
                "--jdbc-url",
                TestPostgres.get().url(),
                "--user",
                TestPostgres.get().user(),
                "--schema",
                pg.schema().name(),
                "--table-prefix",
                prefix));
        args.addAll(List.of(more));
        return raw(args.toArray(String[]::new));
    }

    private static Result raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = OutboxAdmin.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private MessageId append(String key, String payload) {
        try (Connection c = pg.dataSource().getConnection()) {
            c.setAutoCommit(false);
            MessageId id = outbox.in(c)
                    .append(Message.builder(TOPIC)
                            .key(key)
                            .type("Test")
                            .payload(payload, "text/plain")
                            .build());
            c.commit();
            return id;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String payload(OutgoingMessage m) {
        return new String(m.payload(), StandardCharsets.UTF_8);
    }

    private List<MessageId> publishedIds() {
        return broker.published().stream().map(m -> m.envelope().messageId()).toList();
    }

    /** A lane stopped by a real relay at a poison message, with one more message waiting behind it. */
    private record Stopped(int lane, MessageId poison, MessageId behind) {}

    private Stopped stopALane() {
        MessageId poison = append("sku-1", "poison");
        MessageId behind = append("sku-1", "after");
        relay.drainNow();
        assertThat(store.stoppedLanes())
                .singleElement()
                .extracting(s -> s.messageId())
                .isEqualTo(poison);
        return new Stopped(Lanes.laneOf(TOPIC, "sku-1", LANES), poison, behind);
    }

    @Test
    void statusAndStoppedShowTheStoppedLaneWithItsReasonAndHead() {
        Stopped s = stopALane();
        append("sku-2", "waiting elsewhere"); // not drained: a backlog in a running lane

        Result status = admin("status");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out())
                .contains("8 lanes, 3 waiting")
                .contains("1 stopped")
                .contains("stopped at message " + s.poison() + " (topic " + TOPIC + ")")
                .contains("fatal: unroutable: no queue bound")
                .contains("running");
        assertThat(status.out().lines().filter(l -> l.startsWith(s.lane() + " ")))
                .singleElement()
                .asString()
                .contains(" 2 ")
                .contains("stopped");

        Result all = admin("status", "--all");
        assertThat(all.out().lines().filter(l -> l.matches("^\\d+ .*"))).hasSize(LANES);

        Result stopped = admin("stopped");
        assertThat(stopped.code()).isZero();
        assertThat(stopped.out())
                .contains("lane " + s.lane() + ": stopped at message " + s.poison())
                .contains("1 attempt(s)")
                .contains("fatal: unroutable: no queue bound");
    }

    @Test
    void restartResumesTheLaneAndARelayThenPublishesItsHead() {
        Stopped s = stopALane();
        broker.succeedAll();

        Result restart = admin("restart", Integer.toString(s.lane()));
        assertThat(restart.code()).as(restart.err()).isZero();
        assertThat(restart.out()).contains("lane " + s.lane() + " restarted: message " + s.poison());
        assertThat(store.stoppedLanes()).isEmpty();

        relay.drainNow();
        assertThat(publishedIds()).containsExactly(s.poison(), s.behind());
        assertThat(admin("stopped").out()).contains("no stopped lanes");
    }

    @Test
    void skipParksTheHeadLaterMessagesFlowAndReplayPublishesItWithItsOriginalId() {
        Stopped s = stopALane();

        Result skip = admin("skip", Integer.toString(s.lane()));
        assertThat(skip.code()).as(skip.err()).isZero();
        assertThat(skip.out()).contains("message " + s.poison()).contains("outbox-admin replay " + s.poison());
        relay.drainNow();
        assertThat(publishedIds()).containsExactly(s.behind());

        Result parked = admin("parked");
        assertThat(parked.code()).isZero();
        assertThat(parked.out()).contains(s.poison().toString()).contains(TOPIC).contains("fatal: unroutable");

        broker.succeedAll();
        Result replay = admin("replay", s.poison().toString());
        assertThat(replay.code()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("message " + s.poison() + " is back");
        relay.drainNow();
        assertThat(publishedIds()).containsExactly(s.behind(), s.poison());
        assertThat(broker.published().get(1).envelope().messageId()).isEqualTo(s.poison());
        assertThat(payload(broker.published().get(1))).isEqualTo("poison");
        assertThat(admin("parked").out()).contains("no parked messages");
    }

    @Test
    void anUnknownLaneIsRefused() {
        Result r = admin("restart", "99");
        assertThat(r.code()).isEqualTo(OutboxAdmin.EXIT_UNKNOWN_LANE);
        assertThat(r.err()).contains("lane 99 does not exist").contains("0 to 7");
        assertThat(admin("skip", "-1").code()).isEqualTo(OutboxAdmin.EXIT_UNKNOWN_LANE);
    }

    @Test
    void aLaneThatIsNotStoppedIsRefused() {
        Stopped s = stopALane();
        int other = (s.lane() + 1) % LANES;
        Result restart = admin("restart", Integer.toString(other));
        assertThat(restart.code()).isEqualTo(OutboxAdmin.EXIT_LANE_NOT_STOPPED);
        assertThat(restart.err()).contains("lane " + other + " is not stopped").contains("stopped lanes: " + s.lane());
        Result skip = admin("skip", Integer.toString(other));
        assertThat(skip.code()).isEqualTo(OutboxAdmin.EXIT_LANE_NOT_STOPPED);
        assertThat(store.parked()).isEmpty();
    }

    @Test
    void anUnknownParkedIdIsRefused() {
        Result r = admin("replay", "424242");
        assertThat(r.code()).isEqualTo(OutboxAdmin.EXIT_UNKNOWN_PARKED);
        assertThat(r.err()).contains("no parked message with id 424242").contains("nothing is parked");
        Result malformed = admin("replay", "forty-two");
        assertThat(malformed.code()).isEqualTo(OutboxAdmin.EXIT_USAGE);
        assertThat(malformed.err()).contains("forty-two");
    }

    @Test
    void aBadUrlOrAnUnreachableDatabaseIsRefusedWithoutShowingThePassword() {
        Result mysql = raw("status", "--jdbc-url", "jdbc:mysql://db/app?password=hunter2", "--password", "hunter2");
        assertThat(mysql.code()).isEqualTo(OutboxAdmin.EXIT_DATABASE);
        assertThat(mysql.err()).contains("must be a PostgreSQL JDBC URL").doesNotContain("hunter2");

        Result unreachable = raw(
                "status",
                "--jdbc-url",
                "jdbc:postgresql://127.0.0.1:1/app?password=hunter2",
                "--user",
                "ops",
                "--password",
                "hunter2");
        assertThat(unreachable.code()).isEqualTo(OutboxAdmin.EXIT_DATABASE);
        assertThat(unreachable.err())
                .contains("cannot connect to jdbc:postgresql://127.0.0.1:1/app?password=***")
                .contains("as ops");
        assertThat(unreachable.out() + unreachable.err()).doesNotContain("hunter2");

        Result noUrl = raw("status");
        assertThat(noUrl.code()).isEqualTo(OutboxAdmin.EXIT_USAGE);
        assertThat(noUrl.err()).contains("--jdbc-url is required");
    }

    @Test
    void missingTablesOrAnotherLaneCountAreRefused() {
        String migrated = prefix;
        prefix = "never_migrated";
        Result missing = admin("status");
        assertThat(missing.code()).isEqualTo(OutboxAdmin.EXIT_NOT_MIGRATED);
        assertThat(missing.err())
                .contains("no outbox tables")
                .contains("never_migrated_*")
                .contains("migrate");

        prefix = migrated;
        Result lanes = admin("status", "--lanes", "16");
        assertThat(lanes.code()).isEqualTo(OutboxAdmin.EXIT_NOT_MIGRATED);
        assertThat(lanes.err()).contains("have 8 lanes, not 16");

        prefix = "Robert'); drop table x;--";
        Result badName = admin("status");
        assertThat(badName.code()).isEqualTo(OutboxAdmin.EXIT_USAGE);
        assertThat(badName.err()).contains("--table-prefix must be an SQL name");
        Result badLanes = raw("schema", "--lanes", "0");
        assertThat(badLanes.code()).isEqualTo(OutboxAdmin.EXIT_USAGE);
        assertThat(badLanes.err()).contains("--lanes must be between 1 and 4096");
    }

    /**
     * Every kind of bad {@code --schema} exits as docs/admin.md promises: 2 for a name that breaks the rule (checked
     * before any connection), 4 for a valid name with no outbox tables under it, a reserved word included.
     */
    @ParameterizedTest(name = "--schema {0} exits {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "Public | 2 | --schema must be an SQL name",
                "billing; drop table x | 2 | --schema must be an SQL name",
                "'' | 2 | --schema",
                "pg_catalog | 2 | must not start with 'pg_'",
                "9lives | 2 | --schema must be an SQL name",
                "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss | 2 | at most 63",
                "no_such_schema_here | 4 | no outbox tables",
                "user | 4 | no outbox tables",
            })
    void aBadSchemaExitsWithTheDocumentedCode(String schema, int code, String says) {
        Result r = raw(
                "status",
                "--jdbc-url",
                TestPostgres.get().url(),
                "--user",
                TestPostgres.get().user(),
                "--schema",
                schema,
                "--table-prefix",
                prefix);

        assertThat(r.code()).as(r.err()).isEqualTo(code);
        assertThat(r.err()).contains(says);
    }

    @Test
    void schemaPrintsTheMigrationWithoutADatabase() {
        Result r = raw("schema", "--schema", "billing", "--table-prefix", "events", "--lanes", "32");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("create schema if not exists \"billing\"")
                .contains("create table \"billing\".\"events_message\"")
                .contains("create table \"billing\".\"events_stopped_lane\"")
                .contains("generate_series(0, 32 - 1)");
    }
}
