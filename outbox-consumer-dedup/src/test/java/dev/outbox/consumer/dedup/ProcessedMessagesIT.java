package dev.outbox.consumer.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageId;
import dev.outbox.TransactionRequiredException;
import dev.outbox.testkit.PostgresExtension;
import java.time.Instant;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Recording in the application's own transaction, and the guards around it. */
class ProcessedMessagesIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final MessageId ID = new MessageId(42);

    private static Jdbi jdbi;
    private static ProcessedMessages records;

    @BeforeAll
    static void migrate() {
        jdbi = pg.jdbi();
        records = ProcessedMessages.create(jdbi, DedupTable.DEFAULT);
        records.migrate();
    }

    @Test
    void recordTellsNewFromSeenAndCommitsWithTheTransaction() {
        boolean first = jdbi.inTransaction(h -> records.record(h, "commits", "warehouse", ID));
        boolean second = jdbi.inTransaction(h -> records.record(h, "commits", "warehouse", ID));

        assertThat(first).isTrue();
        assertThat(second).isFalse();
        assertThat(records.contains("commits", "warehouse", ID)).isTrue();
    }

    @Test
    void aRolledBackRecordIsGone() {
        jdbi.useHandle(h -> {
            h.begin();
            assertThat(records.record(h, "rollback", "warehouse", ID)).isTrue();
            h.rollback();
        });

        assertThat(records.contains("rollback", "warehouse", ID)).isFalse();
    }

    @Test
    void recordingOutsideATransactionIsRefused() {
        jdbi.useHandle(h -> assertThatThrownBy(() -> records.record(h, "auto", "warehouse", ID))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("transaction"));
        Handle closed = jdbi.open();
        closed.close();

        assertThatThrownBy(() -> records.record(closed, "auto", "warehouse", ID))
                .isInstanceOf(TransactionRequiredException.class);
        assertThatThrownBy(() -> records.record(null, "auto", "warehouse", ID))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("handle");
        assertThat(records.count("auto")).isZero();
    }

    @Test
    void aMessageWithoutSourceOrIdIsRefusedAndNotRecorded() {
        jdbi.useTransaction(h -> {
            assertThatThrownBy(() -> records.record(h, "bad", null, ID))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("source");
            assertThatThrownBy(() -> records.record(h, "bad", "  ", ID))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("source must not be blank");
            assertThatThrownBy(() -> records.record(h, "bad", "warehouse", null))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("message_id");
            assertThatThrownBy(() -> records.record(h, "bad consumer", "warehouse", ID))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("consumer");
        });

        assertThat(records.count("bad")).isZero();
    }

    @Test
    void valuesFromMessagesNeverBecomeSqlText() {
        String hostile = "x'); drop table outbox_processed_message; --";

        boolean recorded = jdbi.inTransaction(h -> records.record(h, "hostile", hostile, ID));

        assertThat(recorded).isTrue();
        assertThat(records.contains("hostile", hostile, ID)).isTrue();
        assertThat(records.count("hostile")).isEqualTo(1);
    }

    @Test
    void deleteOlderThanRefusesABadBatchSize() {
        assertThatThrownBy(() -> records.deleteOlderThan("c", Instant.now(), 0))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("batchSize");
    }

    @Test
    void statementsIgnoreTheCallersTemplateEngine() {
        // A Jdbi configured for another template syntax must not rewrite the module's SQL.
        Jdbi templated = Jdbi.create(pg.dataSource());
        templated.getConfig(org.jdbi.v3.core.statement.SqlStatements.class).setTemplateEngine((sql, ctx) -> {
            throw new IllegalStateException("template engine used on " + sql);
        });
        ProcessedMessages viaTemplated = ProcessedMessages.create(templated, DedupTable.DEFAULT);

        boolean recorded = templated.inTransaction(h -> viaTemplated.record(h, "templated", "warehouse", ID));
        assertThat(recorded).isTrue();
        assertThat(viaTemplated.contains("templated", "warehouse", ID)).isTrue();
        assertThat(viaTemplated.migrate()).isEmpty();
        assertThat(viaTemplated
                        .deleteOlderThan("templated", Instant.now().plusSeconds(1), 10)
                        .deleted())
                .isEqualTo(1);
    }
}
