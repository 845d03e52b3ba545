package dev.outbox.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {

    @Test
    void refusesPropertiesItSetsItself() {
        assertThatThrownBy(() -> EmbeddedKafka.builder().brokerProperty("listeners", "PLAINTEXT://:9092"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("listeners");
        assertThatThrownBy(() -> EmbeddedKafka.builder().brokerProperty("log.dirs", "/tmp/x"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("log.dirs");
    }

    @Test
    void refusesBadSettingsNamingThem() {
        assertThatThrownBy(() -> EmbeddedKafka.builder().maxHeap("lots").build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("maxHeap");
        assertThatThrownBy(() ->
                        EmbeddedKafka.builder().startupTimeout(Duration.ZERO).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("startupTimeout");
        assertThatThrownBy(() -> EmbeddedKafka.builder().brokerProperty("message.max.bytes", null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("message.max.bytes");
        assertThatThrownBy(() -> EmbeddedKafka.builder().jvmOption(" "))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("jvmOption");
    }

    @Test
    void hasNoAddressBeforeItStarts() {
        EmbeddedKafka kafka = EmbeddedKafka.builder().build();
        assertThat(kafka.isRunning()).isFalse();
        assertThatThrownBy(kafka::bootstrapServers).isInstanceOf(IllegalStateException.class);
        kafka.close();
        assertThatThrownBy(kafka::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void overridesReplaceDefaults() {
        EmbeddedKafka kafka = EmbeddedKafka.builder()
                .brokerProperty("auto.create.topics.enable", "true")
                .brokerProperty("message.max.bytes", "2097152")
                .build();
        assertThat(kafka.brokerProperties())
                .containsEntry("auto.create.topics.enable", "true")
                .containsEntry("message.max.bytes", "2097152")
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("process.roles", "broker,controller");
        kafka.close();
    }
}
