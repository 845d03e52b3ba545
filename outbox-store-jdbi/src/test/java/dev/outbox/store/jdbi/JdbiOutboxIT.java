package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.TransactionRequiredException;
import dev.outbox.testkit.PostgresExtension;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Appending through the JDBI outbox against a real PostgreSQL: a message is stored if and only if its transaction commits
 * (G1), and bad input is refused at the call, leaving nothing behind (G6). The relay's scenarios are {@link
 * JdbiRelayContractIT}.
 */
class JdbiOutboxIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();

    private JdbiStoreConfig config;
    private JdbiOutbox outbox;

    @BeforeEach
    void createTables() {
        config = JdbiStoreConfig.builder()
                .tablePrefix("append" + tables.incrementAndGet())
                .lanes(16)
                .build();
        JdbiMessageStore store = JdbiMessageStore.create(pg.jdbi(), config);
        store.migrate();
        outbox = JdbiOutbox.of(
                Outbox.builder().store(store).maxPayloadBytes(1024).build());
    }

    private static Message message(String key, String payload) {
        return Message.builder("Warehouse.Events.Test")
                .key(key)
                .type("Test")
                .payload(payload, "text/plain")
                .build();
    }

    private MessageId appendCommitted(String key, String payload) {
        return pg.jdbi().inTransaction(h -> outbox.in(h).append(message(key, payload)));
    }

    private int rows() {
        return pg.jdbi().withHandle(h -> h.createQuery("select count(*) from " + config.table("message"))
                .mapTo(Integer.class)
                .one());
    }

    // --- G1 and G6 ---------------------------------------------------------------------------------------------

    @Test
    void aMessageIsStoredIfAndOnlyIfItsTransactionCommits() {
        assertThatThrownBy(() -> pg.jdbi().useTransaction(h -> {
                    outbox.in(h).append(message("k", "rolled back"));
                    throw new IllegalStateException("business rule broken");
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(rows()).isZero();

        appendCommitted("k", "committed");
        assertThat(rows()).isEqualTo(1);
    }

    @Test
    void appendingOutsideATransactionFailsAndWritesNothing() throws Exception {
        assertThatThrownBy(() -> pg.jdbi().useHandle(h -> outbox.in(h).append(message("k", "x"))))
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("not in a transaction");
        try (Connection c = pg.dataSource().getConnection()) {
            c.setAutoCommit(true);
            assertThatThrownBy(() -> outbox.outbox().in(c))
                    .isInstanceOf(TransactionRequiredException.class)
                    .hasMessageContaining("auto-commit");
        }
        assertThat(rows()).isZero();
    }

    @Test
    void badInputThrowsAtTheCallAndLeavesNothingBehind() {
        pg.jdbi().useTransaction(h -> {
            var in = outbox.in(h);
            assertThatThrownBy(() -> in.append(Message.builder(null)
                            .type("T")
                            .payload("x", "text/plain")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("topic must not be null");
            assertThatThrownBy(() -> in.append(Message.builder("  ")
                            .type("T")
                            .payload("x", "text/plain")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("topic must not be blank");
            assertThatThrownBy(() -> in.append(Message.builder("t")
                            .type("T")
                            .payload((byte[]) null, "x")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("payload");
            assertThatThrownBy(() -> in.append(message("k", "x".repeat(1025))))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("1025 bytes")
                    .hasMessageContaining("maxPayloadBytes of 1024");
            @SuppressWarnings({"unchecked", "rawtypes"})
            Map<String, String> notStrings = (Map) Map.of("retries", 3);
            assertThatThrownBy(() -> in.append(Message.builder("t")
                            .type("T")
                            .payload("x", "text/plain")
                            .headers(notStrings)
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("header 'retries' must have a string value");
            assertThatThrownBy(() -> in.append(Message.builder("t")
                            .type("T")
                            .payload("x", "text/plain")
                            .header("message_id", "42")
                            .build()))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining("reserved");
            assertThatThrownBy(() -> in.event("t", "k", new Unserializable("x")))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("MessageSerializer");
            assertThatThrownBy(() -> in.appendAll(List.of(message("k", "fine"), message("k", "x".repeat(2000)))))
                    .isInstanceOf(InvalidMessageException.class);
        });
        assertThat(rows()).isZero();
    }

    record Unserializable(String value) {}
}
