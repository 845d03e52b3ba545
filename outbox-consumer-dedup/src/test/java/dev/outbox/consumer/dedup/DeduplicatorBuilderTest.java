package dev.outbox.consumer.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Settings are checked in build(), naming the bad one; building touches no database. */
class DeduplicatorBuilderTest {
    /** Never connected to: a Jdbi opens connections only when used. */
    private static final Jdbi UNUSED = Jdbi.create("jdbc:postgresql://127.0.0.1:1/never");

    private static Deduplicator.Builder valid() {
        return Deduplicator.builder().jdbi(UNUSED).consumer("billing");
    }

    private static void refused(UnaryOperator<Deduplicator.Builder> change, String property) {
        assertThatThrownBy(() -> change.apply(valid()).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith(property + " ");
    }

    @Test
    void aValidBuilderBuildsWithoutConnecting() {
        try (Deduplicator dedup = valid().build()) {
            assertThat(dedup.consumer()).isEqualTo("billing");
            assertThat(dedup.processedMessages().table()).isEqualTo(DedupTable.DEFAULT);
            assertThat(dedup.wrap((h, m) -> {})).isNotNull();
        }
    }

    @Test
    void eachBadSettingIsNamed() {
        refused(b -> b.jdbi(null), "jdbi");
        refused(b -> b.consumer(null), "consumer");
        refused(b -> b.table(null), "table");
        refused(b -> b.retention(null), "retention");
        refused(b -> b.retention(Duration.ZERO), "retention");
        refused(b -> b.retention(Duration.ofSeconds(-1)), "retention");
        refused(b -> b.cleanupInterval(Duration.ZERO), "cleanupInterval");
        refused(b -> b.cleanupBatchSize(0), "cleanupBatchSize");
        refused(b -> b.retention(Duration.ofDays(3651)), "retention");
        refused(b -> b.retention(Duration.ofSeconds(Long.MAX_VALUE)), "retention");
        refused(b -> b.cleanupInterval(Duration.ofDays(2)), "cleanupInterval");
        refused(b -> b.cleanupBatchSize(100_001), "cleanupBatchSize");
        refused(b -> b.listener(null), "listener");
        refused(b -> b.clock(null), "clock");
        refused(b -> b.isolation(null), "isolation");
        refused(b -> b.isolation(TransactionIsolationLevel.NONE), "isolation");
        refused(b -> b.isolation(TransactionIsolationLevel.UNKNOWN), "isolation");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bill ing", "billing/eu", "billing;", "é"})
    void consumerNamesFollowTheSubscriptionNameRule(String bad) {
        refused(b -> b.consumer(bad), "consumer");
    }

    @Test
    void consumerNamesMayReuseASubscriptionName() {
        assertThat(valid().consumer("Warehouse.billing-v2_eu").build().consumer())
                .isEqualTo("Warehouse.billing-v2_eu");
        assertThat(valid().consumer("c".repeat(200)).build()).isNotNull();
        refused(b -> b.consumer("c".repeat(201)), "consumer");
    }

    @Test
    void closeWithoutStartIsHarmlessAndFinal() {
        Deduplicator dedup = valid().build();

        dedup.close();
        dedup.close();

        assertThatThrownBy(dedup::startCleanup).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void allTellsEveryListenerEvenWhenOneFails() {
        AtomicInteger heard = new AtomicInteger();
        DedupListener failing = new DedupListener() {
            @Override
            public void skipped(String consumer, IncomingMessage message) {
                throw new IllegalStateException("listener failed");
            }
        };
        DedupListener counting = new DedupListener() {
            @Override
            public void skipped(String consumer, IncomingMessage message) {
                heard.incrementAndGet();
            }
        };

        DedupListener.all(List.of(failing, counting)).skipped("c", Messages.message("s", 1));

        assertThat(heard).hasValue(1);
    }
}
