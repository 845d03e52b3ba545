package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
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
                ids.forEach(id -> committed.add(id.value()));
                appended += PER_TRANSACTION;
            } else {
                rolledBack++;
            }
        }
    }

    /** Waits until every committed message was published and deleted. */
    private void awaitDrained() {
        await("the outbox drained").atMost(WAIT).until(() -> TestRelays.backlog(store, -1) == 0);
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
