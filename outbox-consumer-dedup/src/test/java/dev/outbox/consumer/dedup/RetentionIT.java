package dev.outbox.consumer.dedup;

import static dev.outbox.consumer.dedup.Messages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.testkit.PostgresExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Records past the retention window are deleted in bounded batches, and only those. */
class RetentionIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final String CLEANUP_THREAD_PREFIX = "outbox-dedup-cleanup-";

    private static Jdbi jdbi;

    private final MutableClock clock = new MutableClock(T0);
    private final RecordingListener listener = new RecordingListener();
    private final AtomicInteger calls = new AtomicInteger();
    private String consumer;

    @BeforeAll
    static void migrate() {
        jdbi = pg.jdbi();
        ProcessedMessages.create(jdbi, DedupTable.DEFAULT).migrate();
    }

    @BeforeEach
    void setUp(TestInfo test) {
        consumer = test.getTestMethod().orElseThrow().getName();
    }

    private Deduplicator deduplicator(String name, int batchSize) {
        return Deduplicator.builder()
                .jdbi(jdbi)
                .consumer(name)
                .retention(RETENTION)
                .cleanupBatchSize(batchSize)
                .cleanupInterval(Duration.ofMillis(50))
                .clock(clock)
                .listener(listener)
                .build();
    }

    private void process(Deduplicator dedup, long fromId, int count) {
        MessageHandler handler = dedup.wrap((h, m) -> calls.incrementAndGet());
        for (long id = fromId; id < fromId + count; id++) {
            handler.handle(message("warehouse", id));
        }
    }

    @Test
    void cleanupDeletesOnlyRecordsPastTheWindowInBatches() {
        Deduplicator dedup = deduplicator(consumer, 10);
        Deduplicator other = deduplicator(consumer + "-other", 10);
        process(dedup, 1, 25);
        process(other, 1, 10);
        clock.advance(Duration.ofMinutes(30));
        process(dedup, 1000, 5);
        clock.set(T0.plus(RETENTION).plusMillis(1));

        CleanupResult result = dedup.cleanupNow();

        // 10 + 10 + 5: a batch smaller than the batch size ends the pass.
        assertThat(result.batches()).isEqualTo(3);
        assertThat(result.deleted()).isEqualTo(25);
        assertThat(result.cutoff()).isEqualTo(T0.plusMillis(1));
        assertThat(result.consumer()).isEqualTo(consumer);
        assertThat(listener.cleaned).containsExactly(result);
        ProcessedMessages records = dedup.processedMessages();
        assertThat(records.count(consumer)).isEqualTo(5);
        assertThat(records.contains(consumer, "warehouse", new MessageId(1))).isFalse();
        assertThat(records.contains(consumer, "warehouse", new MessageId(1000))).isTrue();
        assertThat(records.count(consumer + "-other"))
                .as("another consumer's records")
                .isEqualTo(10);

        CleanupResult again = dedup.cleanupNow();
        assertThat(again.batches()).isEqualTo(1);
        assertThat(again.deleted()).isZero();
    }

    @Test
    void aFullLastBatchTakesOneMoreStatementToSeeNothingIsLeft() {
        Deduplicator dedup = deduplicator(consumer, 10);
        process(dedup, 1, 20);
        clock.advance(RETENTION.plusSeconds(1));

        CleanupResult result = dedup.cleanupNow();

        assertThat(result.batches()).isEqualTo(3);
        assertThat(result.deleted()).isEqualTo(20);
        assertThat(dedup.processedMessages().count(consumer)).isZero();
    }

    @Test
    void aRecordExactlyAsOldAsTheWindowIsKept() {
        Deduplicator dedup = deduplicator(consumer, 10);
        process(dedup, 1, 1);
        clock.advance(RETENTION);

        assertThat(dedup.cleanupNow().deleted()).isZero();
        clock.advance(Duration.ofMillis(1));
        assertThat(dedup.cleanupNow().deleted()).isEqualTo(1);
    }

    @Test
    void aRedeliveryOlderThanTheWindowIsProcessedAgain() {
        // The documented trade-off of retention.
        Deduplicator dedup = deduplicator(consumer, 10);
        process(dedup, 7, 1);
        process(dedup, 7, 1);
        assertThat(calls).hasValue(1);

        clock.advance(RETENTION.plusSeconds(1));
        dedup.cleanupNow();
        process(dedup, 7, 1);

        assertThat(calls).hasValue(2);
    }

    @Test
    void theCleanupTaskRunsOnItsNamedThreadUntilClosed() {
        Deduplicator dedup = deduplicator(consumer, 10);
        process(dedup, 1, 15);
        clock.advance(RETENTION.plusSeconds(1));

        dedup.startCleanup();
        try {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> dedup.processedMessages().count(consumer) == 0);
            assertThat(cleanupThreadAlive()).isTrue();
            assertThatThrownBy(dedup::startCleanup).isInstanceOf(IllegalStateException.class);
        } finally {
            dedup.close();
        }

        assertThat(cleanupThreadAlive()).isFalse();
        assertThat(listener.cleaned).isNotEmpty();
        dedup.close();
        assertThatThrownBy(dedup::startCleanup)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        // Handlers outlive the cleanup task.
        process(dedup, 100, 1);
        assertThat(calls).hasValue(16);
    }

    @Test
    void aFailingPassIsReportedAndTriedAgain() {
        Deduplicator broken = Deduplicator.builder()
                .jdbi(jdbi)
                .consumer(consumer)
                .table(DedupTable.named("not_there"))
                .cleanupInterval(Duration.ofMillis(20))
                .listener(listener)
                .build();
        broken.startCleanup();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.cleanupFailed.size() >= 2);
        } finally {
            broken.close();
        }
        assertThat(listener.cleanupFailed.get(0)).hasMessageContaining("not_there");
    }

    private boolean cleanupThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(CLEANUP_THREAD_PREFIX + consumer) && t.isAlive());
    }
}
