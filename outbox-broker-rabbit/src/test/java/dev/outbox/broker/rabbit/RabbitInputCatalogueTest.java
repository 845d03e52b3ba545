package dev.outbox.broker.rabbit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.outbox.InvalidMessageException;
import dev.outbox.Outbox;
import dev.outbox.broker.rabbit.guice.RabbitBrokerModule;
import dev.outbox.guice.OutboxModule;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.TopicRules;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The topics RabbitMQ cannot take as routing keys are refused by its {@link TopicRules}, counted in UTF-8 bytes, and the
 * Guice wiring gives those rules to the outbox.
 */
class RabbitInputCatalogueTest {
    private final TopicRules rules =
            RabbitBroker.create(RabbitBrokerSettings.builder().build()).topicRules();

    static Stream<Arguments> badTopics() {
        return Stream.of(
                Arguments.of("é".repeat(128), "256"),
                Arguments.of("€".repeat(86), "258"),
                Arguments.of("t".repeat(256), "256"));
    }

    @ParameterizedTest
    @MethodSource("badTopics")
    void refusesARoutingKeyOver255BytesInUtf8(String topic, String bytes) {
        assertThatThrownBy(() -> rules.check(topic))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("topic must be at most 255 bytes in UTF-8")
                .hasMessageContaining("was " + bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Warehouse.Events.ProductAdded", "Zamówienia.Utworzone", "orders created", "#"})
    void takesWhatARoutingKeyHolds(String topic) {
        rules.check(topic);
        rules.check("é".repeat(127));
    }

    @Test
    void theGuiceWiringGivesTheRoutingKeyRulesToTheOutbox() {
        Injector injector = Guice.createInjector(
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(MessageStore.class).toInstance(InMemoryMessageStore.create(4));
                    }
                },
                new OutboxModule("svc"),
                new RabbitBrokerModule(RabbitBrokerSettings.builder().build()));

        assertThat(injector.getInstance(Outbox.class).topicRules())
                .isSameAs(injector.getInstance(Broker.class).topicRules())
                .isNotSameAs(TopicRules.NEUTRAL);
        injector.getInstance(Broker.class).close();
    }
}
