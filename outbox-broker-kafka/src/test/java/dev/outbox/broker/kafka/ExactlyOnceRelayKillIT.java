package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.Lanes;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.TestRelays;
import dev.outbox.testkit.TestTransactions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays in child JVMs, killed (SIGKILL) or paused (SIGSTOP) at the points of the publish path where a crash can leave
 * Kafka and PostgreSQL disagreeing, while another relay takes their lanes; then a plain {@code read_committed} consumer
 * reads the topic. In exactly-once mode it reads every committed message once, nothing of a rolled-back transaction,
 * each key in order. Without the mode, the same kill delivers twice: the test can tell the two apart.
 *
 * <p>The windows: before the Kafka commit (records in the log, transaction open), between the commit and the delete,
 * during the delete (waiting on a lock in PostgreSQL), and during a take-over; a relay paused past its lease and then
 * resumed; a lower id committed after a killed relay's batch of higher ids (the gap); and relays killed one after
 * another while others run. All relays of a test share one Kafka client id, as the instances of one application do.
 */
class ExactlyOnceRelayKillIT {
    private static final Logger log = LoggerFactory.getLogger(ExactlyOnceRelayKillIT.class);

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final ChildRelays relays = new ChildRelays();

    private static final String RUN = "eoskill" + UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicInteger tests = new AtomicInteger();
    private static final int LANES = 16;
    private static final int PARTITIONS = 4;
    private static final int KEYS = 40;
    private static final int PER_TRANSACTION = 10;
    /** Every this-many-th appending transaction rolls back. */
    private static final int ROLLBACK_EVERY = 7;

    private static final Duration WAIT = Duration.ofSeconds(90);

    private final Set<Long> committed = new HashSet<>();
    private final Map<Long, String> keys = new HashMap<>();
    private int rolledBack;
    private int appended;
    private EmbeddedKafka kafka;
    private JdbiMessageStore store;
    private JdbiStoreConfig storeConfig;
    private JdbiOutbox outbox;
    private ChildRelay.Environment environment;
    private String name;

    @BeforeEach
    void setUp() {
        kafka = EmbeddedKafka.shared();
        name = RUN + "t" + tests.incrementAndGet();
        storeConfig = JdbiStoreConfig.builder().tablePrefix(name).lanes(LANES).build();
        store = JdbiMessageStore.create(pg.jdbi(), storeConfig);
        store.migrate();
        outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        environment = new ChildRelay.Environment(
                pg.schema().server().url(),
                pg.schema().server().user(),
                pg.schema().name(),
                name,
                LANES,
                kafka.bootstrapServers(),
                "outbox-" + name,
                PARTITIONS,
                name + ".Kill.Events.Tick",
                "warehouse");
    }

    @Test
    void withoutTheModeAKillBetweenKafkasAcknowledgementAndTheDeleteDeliversTheBatchTwice() {
        append(2_000);
        ChildRelay a = relays.start(relay("a").hold(ChildRelay.Window.AFTER_COMMIT, 3));
        Set<Long> held = ids(a.awaitMark("held after-commit", WAIT));
        a.kill();
        append(1_000);
        relays.start(relay("b"));
        awaitDrained();

        KafkaDeliveries read = read(IsolationLevel.READ_COMMITTED);
        read.assertAtLeastOnce(committed);
        read.assertKeyOrder();
        assertThat(read.duplicated())
                .as("the batch Kafka acknowledged and the killed relay never deleted, published again")
                .containsAll(held);
        log.info(
                "without the mode: {} committed ({} rolled back transactions), {} read, {} twice, {} of them held",
                committed.size(),
                rolledBack,
                read.all().size(),
                read.duplicated().size(),
                held.size());
    }

    @Test
    void aRelayKilledWhileItsKafkaTransactionIsOpenLeavesNoDuplicate() {
        append(2_000);
        ChildRelay a = relays.start(relay("a").exactlyOnce(true).hold(ChildRelay.Window.BEFORE_COMMIT, 300));
        a.awaitMark("held before-commit", WAIT);
        a.kill();
        append(1_000);
        relays.start(relay("b").exactlyOnce(true));
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        // The fault really struck with records in Kafka's log: the killed relay's open transaction holds copies that
        // only a read_uncommitted consumer sees.
        KafkaDeliveries uncommitted =
                abortedCopiesSeen("records of the killed relay's open transaction, aborted and published again");
        log.info(
                "killed before the commit: {} committed ({} rolled back transactions), {} read, {} aborted copies",
                committed.size(),
                rolledBack,
                read.all().size(),
                uncommitted.all().size() - read.all().size());
    }

    @Test
    void aRelayKilledBetweenTheKafkaCommitAndTheDeleteLeavesNoDuplicate() {
        append(2_000);
        ChildRelay a = relays.start(relay("a").exactlyOnce(true).hold(ChildRelay.Window.AFTER_COMMIT, 3));
        Set<Long> held = ids(a.awaitMark("held after-commit", WAIT));
        a.kill();
        append(1_000);
        relays.start(relay("b").exactlyOnce(true));
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        assertThat(held).as("the batch committed in Kafka and never deleted").isNotEmpty();
        log.info(
                "killed between commit and delete: {} committed ({} rolled back transactions), {} read, {} held",
                committed.size(),
                rolledBack,
                read.all().size(),
                held.size());
    }

    @Test
    void aRelayKilledDuringTheDeleteLeavesNoDuplicate() throws Exception {
        append(2_000);
        String table = storeConfig.qualifiedTable("message");
        try (Connection lock = pg.transaction();
                Statement st = lock.createStatement()) {
            // Reads go on, deletes wait: the relay publishes and commits its first batches, then waits in its delete.
            st.execute("lock table " + table + " in share mode");
            ChildRelay a = relays.start(relay("a").exactlyOnce(true));
            await("the relay's delete waiting on the lock").atMost(WAIT).until(() -> deletesWaiting(table) > 0);
            a.kill();
            lock.rollback();
        }
        append(1_000);
        relays.start(relay("b").exactlyOnce(true));
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        log.info(
                "killed during the delete: {} committed ({} rolled back transactions), {} read",
                committed.size(),
                rolledBack,
                read.all().size());
    }

    @Test
    void aRelayPausedPastItsLeaseIsFencedInKafkaAndItsOpenTransactionNeverCommits() {
        append(2_000);
        ChildRelay a = relays.start(relay("a").exactlyOnce(true).hold(ChildRelay.Window.BEFORE_COMMIT, 300));
        a.awaitMark("held before-commit", WAIT);
        a.pause();
        // Another relay takes the paused one's lanes once its lease has run out, and delivers everything, the rows
        // of the paused relay's open transaction too.
        relays.start(relay("b").exactlyOnce(true));
        append(1_000);
        awaitDrained();

        a.resume();
        a.release();
        String outcome = a.awaitMark(m -> m.startsWith("outcome") && m.contains(" held-batch"), WAIT);
        assertThat(outcome)
                .as("the paused relay's open transaction, refused once it resumed")
                .doesNotContain("failed=0");
        // Both relays run now and share the lanes.
        append(500);
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        abortedCopiesSeen("records of the paused relay's transaction, aborted and published again by the other");
        log.info(
                "paused past its lease: {} committed ({} rolled back transactions), {} read; its outcome: {}",
                committed.size(),
                rolledBack,
                read.all().size(),
                outcome);
    }

    @Test
    void relaysKilledOneAfterAnotherAtEitherSideOfTheCommitThenTwoAtOnceLeaveNoDuplicate() {
        append(1_000);
        ChildRelay a = relays.start(relay("a").exactlyOnce(true).hold(ChildRelay.Window.AFTER_COMMIT, 2));
        Set<Long> held = ids(a.awaitMark("held after-commit", WAIT));
        a.kill();
        append(1_000);
        // The next owner takes over lanes whose last batch is committed and not deleted, and dies itself with a
        // transaction open.
        ChildRelay b = relays.start(relay("b").exactlyOnce(true).hold(ChildRelay.Window.BEFORE_COMMIT, 200));
        b.awaitMark("held before-commit", WAIT);
        b.kill();
        append(1_000);
        relays.start(relay("c").exactlyOnce(true));
        relays.start(relay("d").exactlyOnce(true));
        append(500);
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        assertThat(held).isNotEmpty();
        log.info(
                "two kills, then two relays: {} committed ({} rolled back transactions), {} read",
                committed.size(),
                rolledBack,
                read.all().size());
    }

    @Test
    void relaysKilledOverAndOverWhileTakingLanesOverAndMidStreamBesideALiveOneLeaveNoDuplicate() {
        append(500);
        // One relay lives throughout: lanes keep moving between it and the ones that come and die.
        relays.start(relay("steady").exactlyOnce(true));
        int kills = 0;
        for (int round = 1; round <= 4; round++) {
            append(500);
            ChildRelay doomed = relays.start(relay("doomed" + round).exactlyOnce(true));
            if (round % 2 == 1) {
                // While it fences the lanes' previous producers and reads their positions.
                doomed.awaitMark("takeover", WAIT);
            } else {
                // Right after a batch was committed, most likely before it is deleted; appended once it holds lanes,
                // so that the live relay has not published it all already.
                doomed.awaitMark("taken over", WAIT);
                append(500);
                doomed.awaitMark(m -> m.startsWith("outcome") && m.contains(" failed=0"), WAIT);
            }
            doomed.kill();
            kills++;
        }
        append(500);
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        log.info(
                "{} relays killed beside a live one: {} committed ({} rolled back transactions), {} read",
                kills,
                committed.size(),
                rolledBack,
                read.all().size());
    }

    @Test
    void aLowerIdCommittedAfterAKilledRelaysBatchIsStillDeliveredOnce() throws Exception {
        // The gap: a transaction takes a low id and commits after the relay delivered higher ids of the same lane.
        // A position summarised as "everything up to the highest id delivered" would take it for delivered.
        String lateKey = keyInLaneOf("key-0");
        int lane = Lanes.laneOf(environment.topic(), lateKey, LANES);
        long late;
        Set<Long> heldInLane;
        try (Connection open = pg.transaction()) {
            late = outbox.outbox()
                    .in(open)
                    .append(Message.builder(environment.topic())
                            .key(lateKey)
                            .type("Tick")
                            .payload("{\"late\":true}", "application/json")
                            .build())
                    .value();
            append(2_000);
            // One worker: its first batch holds the lowest ids of every lane, the late message's lane included.
            ChildRelay a =
                    relays.start(relay("a").exactlyOnce(true).concurrency(1).hold(ChildRelay.Window.AFTER_COMMIT, 1));
            Set<Long> held = ids(a.awaitMark("held after-commit", WAIT));
            a.kill();
            heldInLane = held.stream()
                    .filter(id -> id > late && laneOfCommitted(id) == lane)
                    .collect(Collectors.toSet());
            open.commit();
        }
        committed.add(late);
        keys.put(late, lateKey);
        assertThat(heldInLane)
                .as("higher ids of the late message's lane, committed in Kafka and not deleted")
                .isNotEmpty();
        append(500);
        relays.start(relay("b").exactlyOnce(true));
        awaitDrained();

        KafkaDeliveries read = deliveredOnce();
        assertThat(read.copies()).containsEntry(late, 1);
        log.info(
                "the gap: message {} committed after {} higher ids of its lane were delivered; {} committed, {} read",
                late,
                heldInLane.size(),
                committed.size(),
                read.all().size());
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private ChildRelay.Spec relay(String id) {
        return ChildRelay.Spec.of(environment, name + "-" + id);
    }

    /**
     * Appends {@code count} messages more, {@value #PER_TRANSACTION} per transaction over {@value #KEYS} keys, one
     * writer so that id order is commit order per key; every {@value #ROLLBACK_EVERY}th transaction rolls back.
     */
    private void append(int count) {
        int target = appended + count;
        int tx = 0;
        while (appended < target) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < PER_TRANSACTION; i++) {
                int n = appended + i;
                batch.add(Message.builder(environment.topic())
                        .key("key-" + (n % KEYS))
                        .type("Tick")
                        .payload("{\"n\":" + n + "}", "application/json")
                        .build());
            }
            boolean commit = ++tx % ROLLBACK_EVERY != 0;
            List<MessageId> ids = TestTransactions.append(pg.jdbi(), outbox.outbox(), batch, commit);
            if (commit) {
                for (int i = 0; i < ids.size(); i++) {
                    committed.add(ids.get(i).value());
                    keys.put(ids.get(i).value(), batch.get(i).key());
                }
                appended += PER_TRANSACTION;
            } else {
                rolledBack++;
            }
        }
    }

    /** A key of its own in the lane of {@code key}, so that it shares no per-key order with the others. */
    private String keyInLaneOf(String key) {
        int lane = Lanes.laneOf(environment.topic(), key, LANES);
        for (int i = 0; ; i++) {
            String candidate = "late-" + i;
            if (Lanes.laneOf(environment.topic(), candidate, LANES) == lane) {
                return candidate;
            }
        }
    }

    private int laneOfCommitted(long id) {
        return Lanes.laneOf(environment.topic(), keys.get(id), LANES);
    }

    /** Waits until every committed message was published and deleted. */
    private void awaitDrained() {
        await("the outbox drained").atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 0);
    }

    /** How many deletes from {@code table} wait on a lock, in the test schema's sessions (the child relays' too). */
    private static int deletesWaiting(String table) {
        return pg.jdbi()
                .withHandle(h -> h.createQuery("select count(*) from pg_stat_activity where application_name = :app"
                                + " and wait_event_type = 'Lock' and query like :delete")
                        .bind("app", "outbox-" + pg.schema().name())
                        .bind("delete", "delete from " + table + "%")
                        .mapTo(Integer.class)
                        .one());
    }

    /** What a read_committed consumer received, checked: each committed message once, in key order. */
    private KafkaDeliveries deliveredOnce() {
        KafkaDeliveries read = read(IsolationLevel.READ_COMMITTED);
        read.assertExactlyOnce(committed);
        read.assertKeyOrder();
        return read;
    }

    /**
     * What a read_uncommitted consumer received, checked to hold copies: the fault struck with records in Kafka's
     * log, in a transaction that was aborted ({@code why} says whose).
     */
    private KafkaDeliveries abortedCopiesSeen(String why) {
        KafkaDeliveries uncommitted = read(IsolationLevel.READ_UNCOMMITTED);
        assertThat(uncommitted.duplicated()).as(why).isNotEmpty();
        return uncommitted;
    }

    private KafkaDeliveries read(IsolationLevel isolation) {
        return KafkaDeliveries.read(kafka, environment.topic(), isolation, committed, WAIT);
    }

    /** The ids listed by a marked line, {@code ... ids=1,2,3}. */
    private static Set<Long> ids(String mark) {
        String list = mark.substring(mark.indexOf("ids=") + 4).split(" ")[0];
        return Arrays.stream(list.split(",")).map(Long::valueOf).collect(Collectors.toSet());
    }
}
