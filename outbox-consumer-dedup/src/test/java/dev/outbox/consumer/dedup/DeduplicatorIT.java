package dev.outbox.consumer.dedup;

import static dev.outbox.consumer.dedup.Messages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.StoreException;
import dev.outbox.TransactionAbortedException;
import dev.outbox.TransactionRequiredException;
import dev.outbox.testkit.PostgresExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** G5 on a real PostgreSQL: each message takes effect once per consumer, whatever is redelivered and when. */
class DeduplicatorIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static Jdbi jdbi;
    private static DedupTable table;

    private final RecordingListener listener = new RecordingListener();
    private String consumer;
    private Deduplicator dedup;

    @BeforeAll
    static void migrate() {
        jdbi = pg.jdbi();
        // Schema-qualified, so that the concurrency tests can find this class's waiting inserts in pg_stat_activity.
        table = DedupTable.named("processed").inSchema(pg.schema().name());
        assertThat(ProcessedMessages.create(jdbi, table).migrate()).hasSize(1);
        jdbi.useHandle(h -> h.execute("create table effect (consumer text not null, source text not null,"
                + " message_id bigint not null, note text)"));
    }

    @BeforeEach
    void setUp(TestInfo test) {
        consumer = test.getTestMethod().orElseThrow().getName();
        dedup = deduplicator(consumer, TransactionIsolationLevel.READ_COMMITTED);
    }

    private Deduplicator deduplicator(String name, TransactionIsolationLevel isolation) {
        return Deduplicator.builder()
                .jdbi(jdbi)
                .consumer(name)
                .table(table)
                .listener(listener)
                .isolation(isolation)
                .build();
    }

    /** The handler's effect: a row written through the transaction's handle. */
    private static void effect(Handle handle, String consumer, IncomingMessage m) {
        handle.createUpdate("insert into effect (consumer, source, message_id) values (:c, :s, :id)")
                .bind("c", consumer)
                .bind("s", m.source())
                .bind("id", m.messageId().value())
                .execute();
    }

    private static long effects(String consumer) {
        return jdbi.withHandle(h -> h.createQuery("select count(*) from effect where consumer = :c")
                .bind("c", consumer)
                .mapTo(Long.class)
                .one());
    }

    private static long effects(String consumer, String source, long id) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select count(*) from effect where consumer = :c and source = :s and message_id = :id")
                .bind("c", consumer)
                .bind("s", source)
                .bind("id", id)
                .mapTo(Long.class)
                .one());
    }

    private MessageHandler counting(AtomicInteger calls) {
        return dedup.wrap((h, m) -> {
            calls.incrementAndGet();
            effect(h, consumer, m);
        });
    }

    @Test
    void sameMessageDeliveredTwiceTakesEffectOnce() {
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = counting(calls);
        IncomingMessage m = message("warehouse", 42);

        handler.handle(m);
        handler.handle(m);

        assertThat(calls).hasValue(1);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(dedup.processedMessages().contains(consumer, "warehouse", new MessageId(42)))
                .isTrue();
        assertThat(listener.processed).containsExactly(m);
        assertThat(listener.skipped).containsExactly(m);
        assertThat(listener.failed).isEmpty();
    }

    @Test
    void redeliveryAfterCommitBeforeAckIsSkipped() {
        AtomicInteger calls = new AtomicInteger();
        counting(calls).handle(message("warehouse", 7, 3));
        // The consumer process died after the commit, before the broker heard the ack: a new process (new
        // deduplicator, new handler) gets the message again, its delivery count started afresh.
        Deduplicator restarted = deduplicator(consumer, TransactionIsolationLevel.READ_COMMITTED);
        MessageHandler again = restarted.wrap((h, m) -> {
            calls.incrementAndGet();
            effect(h, consumer, m);
        });

        again.handle(message("warehouse", 7, 1));

        assertThat(calls).hasValue(1);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(listener.skipped).hasSize(1);
    }

    @Test
    void handlerFailureKeepsNeitherRecordNorWritesAndTheRedeliveryIsProcessedOnce() {
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("handler failed");
        MessageHandler failing = dedup.wrap((h, m) -> {
            calls.incrementAndGet();
            effect(h, consumer, m);
            throw boom;
        });
        IncomingMessage m = message("warehouse", 5);

        assertThatThrownBy(() -> failing.handle(m)).isSameAs(boom);

        assertThat(effects(consumer)).isZero();
        assertThat(dedup.processedMessages().contains(consumer, "warehouse", new MessageId(5)))
                .isFalse();
        assertThat(listener.failed).containsExactly(boom);

        MessageHandler working = counting(calls);
        working.handle(message("warehouse", 5, 2));
        working.handle(message("warehouse", 5, 1));

        assertThat(calls).hasValue(2);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(listener.processed).hasSize(1);
        assertThat(listener.skipped).hasSize(1);
    }

    @Test
    void aHandlerThatSwallowsAFailedStatementIsAFailureNotAProcessedMessage() {
        AtomicInteger calls = new AtomicInteger();
        MessageHandler swallowing = dedup.wrap((h, m) -> {
            calls.incrementAndGet();
            effect(h, consumer, m);
            try {
                h.execute("insert into no_such_table values (1)");
            } catch (RuntimeException swallowed) {
                // the mistake under test: PostgreSQL has aborted the transaction, the handler carries on
            }
        });
        IncomingMessage m = message("warehouse", 77);

        for (int attempt = 1; attempt <= 2; attempt++) {
            assertThatThrownBy(() -> swallowing.handle(m))
                    .isInstanceOf(TransactionAbortedException.class)
                    .hasMessageContaining("consumer " + consumer)
                    .hasMessageContaining("warehouse/77")
                    .hasMessageContaining("aborted");
        }

        assertThat(calls).as("retried, never skipped as a duplicate").hasValue(2);
        assertThat(effects(consumer)).isZero();
        assertThat(dedup.processedMessages().contains(consumer, "warehouse", new MessageId(77)))
                .isFalse();
        assertThat(listener.processed).isEmpty();
        assertThat(listener.failed).hasSize(2).allMatch(e -> e instanceof TransactionAbortedException);

        // A handler that rolls back to a savepoint has dealt with its failure: the message is processed.
        dedup.wrap((h, msg) -> {
                    effect(h, consumer, msg);
                    var savepoint = "before_optional_write";
                    h.savepoint(savepoint);
                    try {
                        h.execute("insert into no_such_table values (1)");
                    } catch (RuntimeException expected) {
                        h.rollbackToSavepoint(savepoint);
                    }
                })
                .handle(m);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(dedup.processedMessages().contains(consumer, "warehouse", new MessageId(77)))
                .isTrue();
    }

    @Test
    void fatalHandlerExceptionReachesTheSubscriberUnchanged() {
        FatalException poison = new FatalException("cannot read payload");
        MessageHandler handler = dedup.wrap((h, m) -> {
            effect(h, consumer, m);
            throw poison;
        });

        assertThatThrownBy(() -> handler.handle(message("warehouse", 1))).isSameAs(poison);
        assertThat(effects(consumer)).isZero();
        assertThat(dedup.processedMessages().count(consumer)).isZero();
    }

    @Test
    void sameIdFromTwoSourcesIsTwoMessages() {
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = counting(calls);

        handler.handle(message("warehouse", 42));
        handler.handle(message("billing", 42));
        handler.handle(message("billing", 42));

        assertThat(calls).hasValue(2);
        assertThat(effects(consumer, "warehouse", 42)).isEqualTo(1);
        assertThat(effects(consumer, "billing", 42)).isEqualTo(1);
    }

    @Test
    void idsArrivingOutOfOrderAreAllProcessed() {
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = counting(calls);

        handler.handle(message("warehouse", 43));
        handler.handle(message("warehouse", 42));
        handler.handle(message("warehouse", 43));
        handler.handle(message("warehouse", 42));
        handler.handle(message("warehouse", 1));

        assertThat(calls).hasValue(3);
        assertThat(effects(consumer, "warehouse", 42)).isEqualTo(1);
        assertThat(effects(consumer, "warehouse", 43)).isEqualTo(1);
        assertThat(effects(consumer, "warehouse", 1)).isEqualTo(1);
    }

    @Test
    void eachConsumerProcessesAMessageOnce() {
        String other = consumer + "-other";
        Deduplicator second = deduplicator(other, TransactionIsolationLevel.READ_COMMITTED);
        MessageHandler first = dedup.wrap((h, m) -> effect(h, consumer, m));
        MessageHandler secondHandler = second.wrap((h, m) -> effect(h, other, m));

        first.handle(message("warehouse", 9));
        secondHandler.handle(message("warehouse", 9));
        first.handle(message("warehouse", 9));
        secondHandler.handle(message("warehouse", 9));

        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(effects(other)).isEqualTo(1);
    }

    @Test
    void concurrentDeliveriesOfOneMessageTakeEffectOnceWithoutError() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = dedup.wrap((h, m) -> {
            calls.incrementAndGet();
            // Hold the record's row lock until the other delivery is inside too, blocked on it.
            awaitInsertsWaitingOnLock(1);
            effect(h, consumer, m);
        });
        IncomingMessage m = message("warehouse", 100);

        List<Throwable> outcomes = deliverAtOnce(handler, m, m);

        assertThat(outcomes).containsOnlyNulls();
        assertThat(calls).hasValue(1);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(listener.processed).hasSize(1);
        assertThat(listener.skipped).hasSize(1);
        assertThat(listener.failed).isEmpty();
    }

    @Test
    void concurrentDeliveryWhoseTwinFailsProcessesTheMessage() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("first delivery failed");
        MessageHandler handler = dedup.wrap((h, m) -> {
            effect(h, consumer, m);
            if (calls.incrementAndGet() == 1) {
                awaitInsertsWaitingOnLock(1);
                throw boom;
            }
        });
        IncomingMessage m = message("warehouse", 101);

        List<Throwable> outcomes = deliverAtOnce(handler, m, m);

        assertThat(outcomes).hasSize(2).containsOnlyOnce(boom);
        assertThat(outcomes).filteredOn(Objects::isNull).hasSize(1);
        assertThat(calls).hasValue(2);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(dedup.processedMessages().contains(consumer, "warehouse", new MessageId(101)))
                .isTrue();
    }

    @Test
    void underSerializableAConcurrentDuplicateFailsRetriablyAndItsRetryIsSkipped() throws Exception {
        Deduplicator serializable = deduplicator(consumer, TransactionIsolationLevel.SERIALIZABLE);
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = serializable.wrap((h, m) -> {
            calls.incrementAndGet();
            awaitInsertsWaitingOnLock(1);
            effect(h, consumer, m);
        });
        IncomingMessage m = message("warehouse", 102);

        List<Throwable> outcomes = deliverAtOnce(handler, m, m);

        assertThat(outcomes)
                .filteredOn(Objects::nonNull)
                .singleElement()
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isRetriable()).isTrue());
        handler.handle(m);
        assertThat(calls).hasValue(1);
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(listener.skipped).hasSize(1);
    }

    @Test
    void aHandlerThatEndsTheTransactionItselfIsNotAcknowledged() {
        MessageHandler committing = dedup.wrap((h, m) -> {
            effect(h, consumer, m);
            h.commit();
        });

        assertThatThrownBy(() -> committing.handle(message("warehouse", 21)))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("must not commit, roll back or close");
        assertThat(listener.failed).hasSize(1);
        // It did commit: the subscriber's retry finds the record and skips.
        committing.handle(message("warehouse", 21));
        assertThat(effects(consumer)).isEqualTo(1);
        assertThat(listener.skipped).hasSize(1);
    }

    @Test
    void nullMessageIsRefusedClearly() {
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = counting(calls);

        assertThatThrownBy(() -> handler.handle(null))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("message must not be null");
        assertThat(calls).hasValue(0);
        assertThat(listener.rejected).hasSize(1);
        assertThat(dedup.processedMessages().count(consumer)).isZero();
    }

    @Test
    void nullHandlerIsRefused() {
        assertThatThrownBy(() -> dedup.wrap(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("handler");
    }

    @Test
    void databaseFailureIsRetriableAndSkipsTheHandler() {
        Deduplicator unmigrated = Deduplicator.builder()
                .jdbi(jdbi)
                .consumer(consumer)
                .table(DedupTable.named("never_migrated"))
                .listener(listener)
                .build();
        AtomicInteger calls = new AtomicInteger();
        MessageHandler handler = unmigrated.wrap((h, m) -> calls.incrementAndGet());

        assertThatThrownBy(() -> handler.handle(message("warehouse", 3)))
                .isInstanceOfSatisfying(
                        StoreException.class, e -> assertThat(e.isRetriable()).isTrue())
                .hasMessageContaining("never_migrated");
        assertThat(calls).hasValue(0);
        assertThat(listener.failed).hasSize(1);
    }

    @Test
    void failingListenerDoesNotChangeTheOutcome() {
        Deduplicator noisy = Deduplicator.builder()
                .jdbi(jdbi)
                .consumer(consumer)
                .table(table)
                .listener(new DedupListener() {
                    @Override
                    public void processed(String c, IncomingMessage m, Duration elapsed) {
                        throw new IllegalStateException("listener failed");
                    }

                    @Override
                    public void skipped(String c, IncomingMessage m) {
                        throw new IllegalStateException("listener failed");
                    }
                })
                .build();
        MessageHandler handler = noisy.wrap((h, m) -> effect(h, consumer, m));

        handler.handle(message("warehouse", 11));
        handler.handle(message("warehouse", 11));

        assertThat(effects(consumer)).isEqualTo(1);
    }

    /** Runs each delivery on its own thread, released together; returns what each threw, or null. */
    private static List<Throwable> deliverAtOnce(MessageHandler handler, IncomingMessage... deliveries)
            throws InterruptedException {
        ExecutorService pool =
                Executors.newFixedThreadPool(deliveries.length, r -> new Thread(r, "outbox-test-delivery"));
        try {
            CyclicBarrier start = new CyclicBarrier(deliveries.length);
            List<Future<Void>> futures = new ArrayList<>();
            for (IncomingMessage m : deliveries) {
                Callable<Void> deliver = () -> {
                    start.await(10, TimeUnit.SECONDS);
                    handler.handle(m);
                    return null;
                };
                futures.add(pool.submit(deliver));
            }
            List<Throwable> outcomes = new ArrayList<>();
            for (Future<Void> f : futures) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                    outcomes.add(null);
                } catch (ExecutionException e) {
                    outcomes.add(e.getCause());
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("a delivery did not finish within 30 s", e);
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Waits until {@code n} inserts into this class's table are blocked on a lock, as a duplicate's insert is. */
    private static void awaitInsertsWaitingOnLock(int n) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> jdbi.withHandle(h -> h.createQuery("select count(*) from pg_stat_activity"
                                        + " where wait_event_type = 'Lock' and query like :q")
                                .bind("q", "insert into " + table.qualifiedName() + "%")
                                .mapTo(Long.class)
                                .one())
                        == n);
    }
}
