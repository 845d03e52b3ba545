package dev.outbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.Lanes;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.ReadMark;
import dev.outbox.spi.StoredMessage;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.Schema;
import dev.outbox.testkit.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backlog loader writes rows the store reads back as the messages the appender would have written. */
class BacklogIT {

    @Test
    void copiedMessagesAreFetchedByTheStoreWithTheirLanesKeysAndPayloads() throws Exception {
        try (Schema schema = TestPostgres.get().createSchema()) {
            JdbiStoreConfig config =
                    JdbiStoreConfig.builder().schema(schema.name()).lanes(8).build();
            JdbiMessageStore store = JdbiMessageStore.create(schema.jdbi(), config);
            store.migrate();
            Messages m = Messages.of("bench.topic", 5, 300);
            try (Connection c = TestPostgres.get().connect()) {
                c.setAutoCommit(false);
                Backlog.copy(c, schema.name() + ".outbox_message", 8, m, 100, 2_000);
                c.commit();
            }

            LaneAssignment lanes = store.heartbeat("bench-it", Duration.ofSeconds(30));
            assertThat(lanes.claims()).hasSize(8);
            List<StoredMessage> fetched = store.fetch(new FetchRequest(
                            lanes.claims().stream()
                                    .map(c -> new LaneCursor(c.lane(), 0, 5_000))
                                    .toList(),
                            5_000,
                            ReadMark.NONE))
                    .messages();

            assertThat(fetched).hasSize(2_000);
            for (int i = 0; i < fetched.size(); i++) {
                StoredMessage s = fetched.get(i);
                long index = 100 + i;
                assertThat(s.topic()).isEqualTo("bench.topic");
                assertThat(s.key()).isEqualTo(m.keyOf(index));
                assertThat(s.lane()).isEqualTo(Lanes.laneOf("bench.topic", m.keyOf(index), 8));
                assertThat(s.type()).isEqualTo(Backlog.TYPE);
                assertThat(s.contentType()).isEqualTo(Backlog.CONTENT_TYPE);
                assertThat(s.payload()).isEqualTo(m.payload(index));
                assertThat(s.headers()).isEmpty();
                assertThat(s.attempts()).isZero();
            }
        }
    }
}
