package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.fake.FakeConnection;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.NewMessage;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an {@link AppendInterceptor} sees, what it may change, and what the outbox refuses from it. */
class AppendInterceptorTest {
    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    private final InMemoryMessageStore store = InMemoryMessageStore.create(8);
    private final Connection tx = FakeConnection.inTransaction();

    private Outbox outbox(AppendInterceptor interceptor) {
        return Outbox.builder()
                .store(store)
                .contextHeaders(() -> Map.of("tenant", "t1"))
                .interceptor(interceptor)
                .build();
    }

    private static Message message(String key) {
        return Message.builder(TOPIC)
                .key(key)
                .type("ProductAdded")
                .payload("{\"sku\":\"" + key + "\"}", "application/json")
                .build();
    }

    /** Adds {@code traceparent} to every message, and remembers what it saw and what the store returned. */
    private static final class AddingHeader implements AppendInterceptor {
        final List<List<NewMessage>> seen = new ArrayList<>();
        final List<List<MessageId>> returned = new ArrayList<>();

        @Override
        public List<MessageId> intercept(List<NewMessage> messages, Next next) {
            seen.add(messages);
            List<NewMessage> withHeader = new ArrayList<>();
            for (NewMessage m : messages) {
                Map<String, String> headers = new HashMap<>(m.message().headers());
                headers.put("traceparent", "00-" + m.message().key() + "-01");
                Message old = m.message();
                withHeader.add(new NewMessage(
                        m.lane(),
                        new Message(old.topic(), old.key(), old.type(), old.contentType(), old.payload(), headers)));
            }
            List<MessageId> ids = next.append(withHeader);
            returned.add(ids);
            return ids;
        }
    }

    @Test
    void seesTheValidatedMessagesWithTheirLanesAndContextHeadersAndMayAddHeaders() {
        AddingHeader interceptor = new AddingHeader();
        List<MessageId> ids = outbox(interceptor).in(tx).appendAll(List.of(message("a"), message("b")));

        assertThat(interceptor.seen).hasSize(1);
        List<NewMessage> seen = interceptor.seen.get(0);
        assertThat(seen).extracting(m -> m.message().key()).containsExactly("a", "b");
        assertThat(seen)
                .extracting(NewMessage::lane)
                .containsExactly(Lanes.laneOf(TOPIC, "a", 8), Lanes.laneOf(TOPIC, "b", 8));
        assertThat(seen).allSatisfy(m -> assertThat(m.message().headers()).containsEntry("tenant", "t1"));
        assertThat(interceptor.returned).containsExactly(ids);
        assertThat(store.find(ids.get(0).value()).orElseThrow().headers())
                .isEqualTo(Map.of("tenant", "t1", "traceparent", "00-a-01"));
        assertThat(store.find(ids.get(1).value()).orElseThrow().headers())
                .isEqualTo(Map.of("tenant", "t1", "traceparent", "00-b-01"));
        assertThat(store.appendCalls()).as("still one statement").isEqualTo(1);
    }

    @Test
    void runsForEveryShapeOfAppendAndAppenderButNotForNothing() {
        AddingHeader interceptor = new AddingHeader();
        Appender appender = outbox(interceptor).in(tx);
        appender.append(message("a"));
        appender.withHeaders(Map.of("x", "y")).append(message("b"));
        appender.appendAll(List.of());

        assertThat(interceptor.seen).hasSize(2);
        assertThat(interceptor.seen.get(1).get(0).message().headers()).containsEntry("x", "y");
    }

    @Test
    void theStoresFailureReachesTheInterceptorAndTheCaller() {
        List<RuntimeException> heard = new ArrayList<>();
        AppendInterceptor listening = (messages, next) -> {
            try {
                return next.append(messages);
            } catch (RuntimeException e) {
                heard.add(e);
                throw e;
            }
        };
        StoreException down = new StoreException("database down", null);
        store.failNext(InMemoryMessageStore.Op.APPEND, down);

        assertThatThrownBy(() -> outbox(listening).in(tx).append(message("a"))).isSameAs(down);
        assertThat(heard).containsExactly(down);
    }

    @Test
    void refusesAnInterceptorThatChangesMoreThanHeaders() {
        AppendInterceptor retargeting = (messages, next) -> {
            Message m = messages.get(0).message();
            return next.append(List.of(new NewMessage(
                    messages.get(0).lane(),
                    new Message("Other.Topic", m.key(), m.type(), m.contentType(), m.payload(), m.headers()))));
        };
        AppendInterceptor repaying = (messages, next) -> {
            Message m = messages.get(0).message();
            return next.append(List.of(new NewMessage(
                    messages.get(0).lane(),
                    new Message(m.topic(), m.key(), m.type(), m.contentType(), new byte[] {1}, m.headers()))));
        };
        AppendInterceptor relaning = (messages, next) -> next.append(List.of(
                new NewMessage(messages.get(0).lane() + 1, messages.get(0).message())));
        AppendInterceptor dropping = (messages, next) -> next.append(messages.subList(0, 1));

        for (AppendInterceptor bad : List.of(retargeting, repaying, relaning)) {
            assertThatThrownBy(() -> outbox(bad).in(tx).append(message("a")))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("beyond its headers");
        }
        assertThatThrownBy(() -> outbox(dropping).in(tx).appendAll(List.of(message("a"), message("b"))))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("passed on 1 messages for 2");
        assertThat(store.appendCalls()).isZero();
    }

    @Test
    void refusesAnInterceptorThatDoesNotAppendExactlyOnce() {
        AppendInterceptor skipping = (messages, next) -> List.of(new MessageId(1));
        AppendInterceptor twice = (messages, next) -> {
            next.append(messages);
            return next.append(messages);
        };
        AppendInterceptor lying = (messages, next) -> {
            next.append(messages);
            return List.of();
        };

        assertThatThrownBy(() -> outbox(skipping).in(tx).append(message("a")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("did not append");
        assertThat(store.appendCalls()).isZero();
        assertThatThrownBy(() -> outbox(twice).in(tx).append(message("a")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("appended twice");
        assertThatThrownBy(() -> outbox(lying).in(tx).append(message("a")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("returned 0 ids for 1 messages");
    }

    @Test
    void theInterceptorIsASettingThatMustNotBeNull() {
        assertThatThrownBy(() -> Outbox.builder().store(store).interceptor(null).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("interceptor");
        AppendInterceptor none = AppendInterceptor.NONE;
        MessageId id =
                Outbox.builder().store(store).interceptor(none).build().in(tx).append(message("a"));
        assertThat(store.find(id.value())).isPresent();
    }
}
