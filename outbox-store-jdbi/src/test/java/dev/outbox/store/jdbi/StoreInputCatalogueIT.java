package dev.outbox.store.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.Message;
import dev.outbox.Outbox;
import dev.outbox.TransactionAbortedException;
import dev.outbox.spi.Validation;
import dev.outbox.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad input at an append through the JDBI store, against a real PostgreSQL. Each case is refused with
 * the exception it names and a message naming the field or value; nothing is left in the message table and no lane is
 * claimed; and the caller's transaction still commits its business write, or (for an aborted transaction, as {@link
 * TransactionAbortedException} documents) can only be rolled back.
 */
class StoreInputCatalogueIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    private static JdbiMessageStore store;
    private static Outbox outbox;

    @BeforeAll
    static void tables() {
        store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .tablePrefix("catalogue")
                        .lanes(8)
                        .notifyOnAppend(true)
                        .build());
        store.migrate();
        pg.jdbi().useHandle(h -> h.execute("create table product (sku text primary key)"));
        outbox = Outbox.builder()
                .store(store)
                .maxPayloadBytes(20_000)
                .topicRules(topic -> {
                    if (topic.contains(" ")) {
                        throw new InvalidMessageException("topic " + Validation.quote(topic) + " has a space");
                    }
                })
                .build();
    }

    @AfterEach
    void empty() {
        pg.jdbi().useHandle(h -> {
            h.execute("delete from catalogue_message");
            h.execute("delete from product");
        });
    }

    private static Message.Builder message() {
        return Message.builder(TOPIC).type("ProductAdded").payload(new byte[] {1}, "application/octet-stream");
    }

    private static Map<String, String> headers(int count, int valueLength) {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            h.put("h" + i, "v".repeat(valueLength));
        }
        return h;
    }

    private static Arguments bad(String name, String names, Consumer<Outbox> append) {
        return Arguments.of(Named.of(name, append), names);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                bad("NUL in a header value", "U+0000", o -> o.in(current)
                        .append(message().header("tenant", "acme\u0000").build())),
                bad("CR LF in a header name", "U+000D", o -> o.in(current)
                        .append(message().header("x\r\nInjected", "v").build())),
                bad("ESC in a header value", "U+001B", o -> o.in(current)
                        .withHeaders(Map.of("tenant", "\u001b[31macme"))
                        .append(message().build())),
                bad("too many headers", "at most 64", o -> o.in(current)
                        .append(message().headers(headers(65, 1)).build())),
                bad("headers over 16 KiB", "at most 16384 bytes", o -> o.in(current)
                        .append(message().headers(headers(3, 6000)).build())),
                bad("payload and headers over maxPayloadBytes", "maxPayloadBytes of 20000", o -> o.in(current)
                        .append(Message.builder(TOPIC)
                                .type("T")
                                .payload(new byte[15_000], "x/y")
                                .headers(headers(1, 6000))
                                .build())),
                bad("a topic the broker cannot take", "'Warehouse Events'", o -> o.in(current)
                        .append(Message.builder("Warehouse Events")
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .build())),
                bad("a right-to-left override in a topic", "U+202E", o -> o.in(current)
                        .append(Message.builder("Orders\u202Edetaerc")
                                .type("T")
                                .payload(new byte[1], "x/y")
                                .build())),
                bad("NUL in a key", "key must not contain control characters", o -> o.in(current)
                        .append(message().key("sku\u0000").build())));
    }

    /** The connection of the case in progress; the cases are built before their connection exists. */
    private static Connection current;

    @ParameterizedTest
    @MethodSource("cases")
    void refusedAtTheAppendNothingWrittenAndTheTransactionStillCommits(Consumer<Outbox> append, String names)
            throws SQLException {
        try (Connection c = pg.dataSource().getConnection()) {
            c.setAutoCommit(false);
            current = c;
            try (Statement st = c.createStatement()) {
                st.execute("insert into product values ('sku-1')");
            }

            assertThatThrownBy(() -> append.accept(outbox))
                    .isInstanceOf(InvalidMessageException.class)
                    .hasMessageContaining(names);

            outbox.in(c).append(message().build());
            c.commit();
        } finally {
            current = null;
        }
        assertThat(count("select count(*) from product"))
                .as("the business write committed")
                .isEqualTo(1);
        assertThat(count("select count(*) from catalogue_message"))
                .as("only the good message is stored")
                .isEqualTo(1);
        assertNoLaneClaimed();
    }

    @Test
    void anAppendOnAnAbortedTransactionSaysSoAndLeavesNothing() throws SQLException {
        try (Connection c = pg.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("insert into product values ('sku-1')");
                st.execute("insert into product values ('sku-1')");
            } catch (SQLException duplicateSwallowed) {
                // The caller's own statement failed and it carried on: PostgreSQL has aborted the transaction.
            }

            assertThatThrownBy(() -> outbox.in(c).append(message().build()))
                    .isInstanceOf(TransactionAbortedException.class)
                    .hasMessageContaining("aborted")
                    .hasMessageContaining("roll it back");
            c.rollback();
        }
        assertThat(count("select count(*) from catalogue_message")).isZero();
        assertNoLaneClaimed();
    }

    @Test
    void reservedWordsAsSchemaAndPrefixWorkBecauseEveryNameIsQuoted() throws SQLException {
        // "analyse" and "user" are reserved words of PostgreSQL: unquoted, every statement on them would fail.
        JdbiMessageStore reserved = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder()
                        .schema("analyse")
                        .tablePrefix("user")
                        .lanes(4)
                        .notifyOnAppend(true)
                        .build());
        try {
            reserved.migrate();
            Outbox o = Outbox.builder().store(reserved).build();
            try (Connection c = pg.dataSource().getConnection()) {
                c.setAutoCommit(false);
                o.in(c).append(message().build());
                c.commit();
            }
            assertThat(reserved.heartbeat("relay-1", Duration.ofSeconds(10)).claims())
                    .hasSize(4);
            assertThat(reserved.status()).hasSize(4).anySatisfy(s -> assertThat(s.backlog())
                    .isEqualTo(1));
            reserved.leave("relay-1");
        } finally {
            pg.jdbi().useHandle(h -> h.execute("drop schema if exists \"analyse\" cascade"));
        }
    }

    @Test
    void aSchemaAndPrefixTooLongForTheNotifyChannelFailAtBuild() {
        JdbiStoreConfig.Builder builder = JdbiStoreConfig.builder()
                .schema("s".repeat(40))
                .tablePrefix("p".repeat(20))
                .notifyOnAppend(true);

        assertThatThrownBy(builder::build)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("schema")
                .hasMessageContaining("tablePrefix")
                .hasMessageContaining("NOTIFY channel");
        assertThat(builder.notifyOnAppend(false).build().tablePrefix()).hasSize(20);
    }

    private static int count(String sql) {
        Integer n = pg.jdbi()
                .withHandle(h -> h.createQuery(sql).mapTo(Integer.class).one());
        return n;
    }

    private static void assertNoLaneClaimed() {
        assertThat(count("select count(*) from catalogue_lane where owner is not null"))
                .as("no lane claimed")
                .isZero();
    }
}
