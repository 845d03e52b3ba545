package dev.outbox.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KafkaBrokerSettingsTest {

    @Test
    void neverShowsSecretsButShowsTheRest() {
        KafkaBrokerSettings s = KafkaBrokerSettings.builder("kafka:9093")
                .commonProperty("security.protocol", "SASL_SSL")
                .commonProperty(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hunter2\";")
                .commonProperty("ssl.truststore.password", "changeit")
                .producerProperty("ssl.key.password", "s3cr3t")
                .consumerProperty("sasl.oauthbearer.token.endpoint.url", "https://idp/token-with-secret")
                .build();

        assertThat(s.toString())
                .contains("kafka:9093", "security.protocol=SASL_SSL", "sasl.jaas.config=[hidden]")
                .doesNotContain("hunter2", "changeit", "s3cr3t", "token-with-secret");
    }

    @Test
    void theAdaptersGuaranteesCannotBeConfiguredAway() {
        assertRefused(KafkaBrokerSettings.builder("k:9092").producerProperty("acks", "1"), "acks");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").commonProperty("enable.idempotence", "false"),
                "enable.idempotence");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").producerProperty("transactional.id", "x"), "transactional.id");
        assertRefused(KafkaBrokerSettings.builder("k:9092").consumerProperty("group.id", "g"), "group.id");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").consumerProperty("enable.auto.commit", "true"),
                "enable.auto.commit");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").producerProperty("value.serializer", "x"), "value.serializer");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").adminProperty("bootstrap.servers", "other:9092"),
                "bootstrap.servers");
        assertThat(KafkaBrokerSettings.builder("k:9092")
                        .producerProperty("acks", "all")
                        .build()
                        .producerConfig())
                .containsEntry("acks", "all")
                .containsEntry("enable.idempotence", "true");
    }

    @Test
    void badSettingsAreNamed() {
        assertRefused(KafkaBrokerSettings.builder(" "), "bootstrapServers");
        assertRefused(KafkaBrokerSettings.builder("k:9092").clientId(""), "clientId");
        assertRefused(KafkaBrokerSettings.builder("k:9092").topicPolicy(null), "topicPolicy");
        assertRefused(KafkaBrokerSettings.builder("k:9092").closeTimeout(Duration.ZERO), "closeTimeout");
        assertRefused(KafkaBrokerSettings.builder("k:9092").adminTimeout(Duration.ofSeconds(-1)), "adminTimeout");
        assertRefused(KafkaBrokerSettings.builder("k:9092").maxBufferedPerPartition(0), "maxBufferedPerPartition");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").maxBufferedPerPartition(1_000_001), "maxBufferedPerPartition");
        assertRefused(KafkaBrokerSettings.builder("k:9092").adminTimeout(Duration.ofDays(30)), "adminTimeout");
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").closeTimeout(Duration.ofSeconds(Long.MAX_VALUE)), "closeTimeout");
        assertRefused(KafkaBrokerSettings.builder("k:9092").clientId("outbox\nforged"), "clientId");
        assertRefused(KafkaBrokerSettings.builder("k:9092").producerProperty("linger.ms", null), "linger.ms");
        assertThatThrownBy(() -> TopicPolicy.createMissing(0, (short) 1))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("partitions");
        assertThatThrownBy(() -> TopicPolicy.createMissing(100_001, (short) 1))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("partitions");
        assertThatThrownBy(() -> TopicPolicy.createMissing(3, (short) 0))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("replicationFactor");
    }

    @Test
    void userPropertiesOverrideDefaultsAndTheGroupIsTheSubscription() {
        KafkaBrokerSettings s = KafkaBrokerSettings.builder("k:9092")
                .commonProperty("linger.ms", "20")
                .producerProperty("linger.ms", "50")
                .consumerProperty("auto.offset.reset", "latest")
                .build();
        assertThat(s.producerConfig()).containsEntry("linger.ms", "50").containsEntry("bootstrap.servers", "k:9092");
        assertThat(s.consumerConfig("orders", "orders-1"))
                .containsEntry("group.id", "orders")
                .containsEntry("enable.auto.commit", "false")
                .containsEntry("auto.offset.reset", "latest");
        assertThat(KafkaBrokerSettings.builder("k:9092").build().consumerConfig("g", "g-1"))
                .containsEntry("auto.offset.reset", "earliest");
        assertThat(KafkaBrokerSettings.builder("k:9092").build().producerConfig())
                .as("a round goes to the producer whole: lingering would only delay it")
                .containsEntry("linger.ms", "0");
        assertThat(s.topicPolicy()).isEqualTo(TopicPolicy.requireExisting());
    }

    @Test
    void equalSettingsAreEqual() {
        KafkaBrokerSettings a = KafkaBrokerSettings.builder("k:9092")
                .topicPolicy(TopicPolicy.createMissing(3, (short) 1))
                .producerProperty("linger.ms", "10")
                .build();
        KafkaBrokerSettings b = KafkaBrokerSettings.builder("k:9092")
                .topicPolicy(TopicPolicy.createMissing(3, (short) 1))
                .producerProperty("linger.ms", "10")
                .build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(KafkaBrokerSettings.builder("k:9092").build());
    }

    @Test
    void exactlyOnceIsOffByDefaultAndNeedsAPositionsTopicOfItsOwn() {
        KafkaBrokerSettings plain = KafkaBrokerSettings.builder("k:9092").build();
        assertThat(plain.exactlyOnce()).isFalse();
        assertThat(plain.positionsTopic()).isEmpty();
        assertThat(plain.claimsTopic()).isEmpty();
        // No default: two services left at the same client id must not share one by accident.
        assertRefused(KafkaBrokerSettings.builder("k:9092").clientId("orders").exactlyOnce(), "positionsTopic");

        KafkaBrokerSettings eos = eos().clientId("orders").build();
        assertThat(eos.exactlyOnce()).isTrue();
        assertThat(eos.positionsTopic()).contains("orders-outbox-positions");
        assertThat(eos.claimsTopic()).contains("orders-outbox-positions-claims");
        assertThat(eos.transactionalProducers()).isEqualTo(4);
        assertThat(eos.consumerConfig("g", "c")).containsEntry("isolation.level", "read_committed");
        assertThat(eos.transactionalProducerConfig("orders-1-0", "tx"))
                .containsEntry("transactional.id", "orders-1-0")
                .containsEntry("enable.idempotence", "true")
                .containsEntry("acks", "all");
        assertThat(eos)
                .isNotEqualTo(
                        KafkaBrokerSettings.builder("k:9092").clientId("orders").build());
        assertThat(eos.toString()).contains("exactlyOnce", "orders-outbox-positions");

        KafkaBrokerSettings named = KafkaBrokerSettings.builder("k:9092")
                .exactlyOnce()
                .positionsTopic("warehouse.outbox-positions")
                .transactionalProducers(2)
                .build();
        assertThat(named.claimsTopic()).contains("warehouse.outbox-positions-claims");
        assertThat(named.transactionalProducers()).isEqualTo(2);
    }

    @Test
    void theReadmesExactlyOnceSettingsBuild() {
        // README:exactly-once
        KafkaBrokerSettings settings = KafkaBrokerSettings.builder("kafka-1:9092,kafka-2:9092")
                .exactlyOnce()
                .positionsTopic("warehouse-outbox-positions")
                .build();
        // README:end
        assertThat(settings.exactlyOnce()).isTrue();
        assertThat(settings.claimsTopic()).contains("warehouse-outbox-positions-claims");
    }

    @Test
    void exactlyOnceRefusesWhatContradictsIt() {
        assertRefused(eos().producerProperty("transactional.id", "mine"), "transactional.id");
        assertRefused(eos().commonProperty("transactional.id", "mine"), "transactional.id");
        assertRefused(eos().producerProperty("enable.idempotence", "false"), "enable.idempotence");
        assertRefused(eos().producerProperty("acks", "1"), "acks");
        assertRefused(
                eos().producerProperty("transaction.two.phase.commit.enable", "true"),
                "transaction.two.phase.commit.enable");
        assertRefused(eos().consumerProperty("isolation.level", "read_uncommitted"), "isolation.level");
        assertRefused(eos().positionsTopic("bad topic"), "positionsTopic");
        assertRefused(eos().positionsTopic("x".repeat(249)), "positionsTopic");
        assertRefused(eos().transactionalProducers(0), "transactionalProducers");
        assertRefused(
                eos().transactionalProducers(KafkaBrokerSettings.MAX_TRANSACTIONAL_PRODUCERS + 1),
                "transactionalProducers");
        assertRefused(eos().producerProperty("transaction.timeout.ms", "soon"), "transaction.timeout.ms");
        // Settings of the mode without the mode are a mistake, not ignored.
        assertRefused(KafkaBrokerSettings.builder("k:9092").positionsTopic("p"), "positionsTopic");
        assertRefused(KafkaBrokerSettings.builder("k:9092").transactionalProducers(2), "transactionalProducers");
        // Without the mode, transactions stay refused.
        assertRefused(
                KafkaBrokerSettings.builder("k:9092").producerProperty("transactional.id", "mine"), "exactlyOnce()");
    }

    /** The exactly-once mode with the positions topic it needs. */
    private static KafkaBrokerSettings.Builder eos() {
        return KafkaBrokerSettings.builder("k:9092").exactlyOnce().positionsTopic("orders-outbox-positions");
    }

    private static void assertRefused(KafkaBrokerSettings.Builder builder, String named) {
        assertThatThrownBy(builder::build)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(named);
    }
}
