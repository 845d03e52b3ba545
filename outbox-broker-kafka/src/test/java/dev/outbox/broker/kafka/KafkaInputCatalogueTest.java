package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.Message;
import dev.outbox.Outbox;
import dev.outbox.broker.kafka.guice.KafkaBrokerModule;
import dev.outbox.guice.OutboxModule;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.TopicRules;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The catalogue of bad input to the Kafka adapter: client settings that the Kafka clients would refuse only when the
 * first publish or subscribe creates them fail at {@code build()}, naming the property and hiding secrets; topics Kafka
 * cannot take are refused by its {@link TopicRules}, which the Guice wiring gives to the outbox.
 */
class KafkaInputCatalogueTest {
    private static final String JAAS_SECRET = "hunter2-do-not-show";

    static Stream<Arguments> badSettings() {
        return Stream.of(
                bad("bootstrapServers", b -> KafkaBrokerSettings.builder("kafka")),
                bad("'kafka:port'", b -> KafkaBrokerSettings.builder("kafka:9092,kafka:port")),
                bad("'kafka:99999'", b -> KafkaBrokerSettings.builder("kafka:99999")),
                bad("''", b -> KafkaBrokerSettings.builder("kafka:9092,,other:9092")),
                bad("compression.type", b -> b.producerProperty("compression.type", "brotli")),
                bad("compression.type", b -> b.commonProperty("compression.type", "rar")),
                bad("security.protocol", b -> b.commonProperty("security.protocol", "SASL_TLS")),
                bad("auto.offset.reset", b -> b.consumerProperty("auto.offset.reset", "oldest")),
                bad(
                        "max.in.flight.requests.per.connection",
                        b -> b.producerProperty("max.in.flight.requests.per.connection", "10")),
                bad("retries", b -> b.producerProperty("retries", "0")),
                bad("linger.ms", b -> b.producerProperty("linger.ms", "soon")),
                bad("request.timeout.ms", b -> b.adminProperty("request.timeout.ms", "-5")),
                bad("max.poll.records", b -> b.consumerProperty("max.poll.records", "0")),
                bad(
                        "sasl.jaas.config",
                        b -> b.commonProperty(
                                "sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required password=\""
                                        + JAAS_SECRET + "\"")),
                bad(
                        "sasl.jaas.config",
                        b -> b.producerProperty("sasl.jaas.config", "not a jaas config " + JAAS_SECRET)),
                bad(
                        "sasl.jaas.config",
                        b -> b.commonProperty(
                                "sasl.jaas.config", "com.sun.security.auth.module.JndiLoginModule required;")));
    }

    private static Arguments bad(String names, UnaryOperator<KafkaBrokerSettings.Builder> settings) {
        return Arguments.of(names, settings);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void refusesAtBuildNamingThePropertyWithoutItsSecret(
            String names, UnaryOperator<KafkaBrokerSettings.Builder> settings) {
        assertThatThrownBy(() -> settings.apply(KafkaBrokerSettings.builder("kafka:9092"))
                        .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(names)
                .hasMessageNotContaining(JAAS_SECRET);
    }

    @Test
    void takesWhatTheClientsTake() {
        KafkaBrokerSettings s = KafkaBrokerSettings.builder("kafka-1.example:9092, 10.0.0.2:9093,[::1]:9094")
                .commonProperty("security.protocol", "SASL_SSL")
                .commonProperty("sasl.mechanism", "PLAIN")
                .commonProperty(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
                                + " password=\"p\";")
                .producerProperty("compression.type", "zstd")
                .producerProperty("max.in.flight.requests.per.connection", "5")
                .consumerProperty("auto.offset.reset", "latest")
                .commonProperty("schema.registry.url", "http://registry:8081")
                .build();

        assertThat(s.bootstrapServers()).startsWith("kafka-1.example:9092");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Orders Created",
                "Orders\u202ECreated",
                "Orders/Created",
                "Orders:Created",
                "Zamówienia",
                ".",
                ".."
            })
    void kafkasRulesRefuseTopicsKafkaCannotTake(String topic) {
        TopicRules rules = KafkaBroker.create(
                        KafkaBrokerSettings.builder("kafka:9092").build())
                .topicRules();

        assertThatThrownBy(() -> rules.check(topic))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("topic")
                .hasMessageContaining("Kafka");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Warehouse.Events.ProductAdded", "orders_v2", "a-b.c_D9"})
    void kafkasRulesTakeLegalTopics(String topic) {
        KafkaBroker.create(KafkaBrokerSettings.builder("kafka:9092").build())
                .topicRules()
                .check(topic);
    }

    @Test
    void theGuiceWiringGivesKafkasRulesToTheOutbox() {
        InMemoryMessageStore store = InMemoryMessageStore.create(4);
        Injector injector = Guice.createInjector(
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(MessageStore.class).toInstance(store);
                    }
                },
                new OutboxModule("svc"),
                new KafkaBrokerModule(KafkaBrokerSettings.builder("127.0.0.1:1").build()));
        Outbox outbox = injector.getInstance(Outbox.class);
        Message spaced = Message.builder("Orders Created")
                .type("T")
                .payload(new byte[1], "x/y")
                .build();

        assertThat(outbox.topicRules())
                .isSameAs(injector.getInstance(Broker.class).topicRules());
        assertThatThrownBy(() -> outbox.in(inTransaction()).append(spaced))
                .isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("'Orders Created'");
        assertThat(store.appendCalls()).isZero();
        injector.getInstance(Broker.class).close();
    }

    /** A connection inside a transaction, as far as the outbox asks before it appends. */
    private static Connection inTransaction() {
        return (Connection) Proxy.newProxyInstance(
                KafkaInputCatalogueTest.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "isClosed", "getAutoCommit" -> false;
                    case "isWrapperFor" -> false;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
