package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Envelope;
import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.testkit.PostgresExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Duplicates skipped, processed and failed, read from a registry after real deliveries through the dedup wrapper. */
class DedupMetricsIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static IncomingMessage message(long id) {
        Envelope e = new Envelope(
                new MessageId(id),
                "billing",
                "Billing.Events.Paid",
                "k",
                "Paid",
                "text/plain",
                Instant.now(),
                Map.of());
        return new IncomingMessage(e, new byte[0], 1);
    }

    @Test
    void countsWhatTheDedupWrapperDid() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Deduplicator dedup = Deduplicator.builder()
                .jdbi(pg.jdbi())
                .consumer("metered")
                .table(DedupTable.named("metered_processed"))
                .listener(DedupMetrics.create(registry))
                .build()) {
            dedup.migrate();
            MessageHandler handler = dedup.wrap((h, m) -> {
                if (m.messageId().value() == 3) {
                    throw new IllegalStateException("boom");
                }
            });
            handler.handle(message(1));
            handler.handle(message(1));
            handler.handle(message(2));
            handler.handle(message(1));
            assertThatThrownBy(() -> handler.handle(message(3))).hasMessage("boom");

            assertThat(registry.get("outbox.dedup.processed")
                            .tag("consumer", "metered")
                            .timer()
                            .count())
                    .isEqualTo(2);
            assertThat(registry.get("outbox.dedup.duplicates.skipped")
                            .tag("consumer", "metered")
                            .counter()
                            .count())
                    .isEqualTo(2.0);
            assertThat(registry.get("outbox.dedup.failed")
                            .tag("consumer", "metered")
                            .counter()
                            .count())
                    .isEqualTo(1.0);
        }
    }
}
