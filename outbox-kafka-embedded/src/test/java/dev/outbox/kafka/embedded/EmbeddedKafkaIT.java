package dev.outbox.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaIT {

    @Test
    void survivesSigkillAndRestartsOnTheSameDataAndPortThenCleansUp() throws Exception {
        Path dir;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder()
                .brokerProperty("message.max.bytes", "2097152")
                .build()) {
            kafka.start();
            String servers = kafka.bootstrapServers();
            dir = kafka.directory();
            assertThat(servers).startsWith("127.0.0.1:");
            assertThat(kafka.isRunning()).isTrue();

            try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
                admin.createTopics(List.of(new NewTopic("embedded.it", 1, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
                Config config = admin.describeConfigs(List.of(broker))
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .get(broker);
                assertThat(config.get("message.max.bytes").value()).isEqualTo("2097152");
            }
            produce(servers, "before-kill");

            kafka.kill();
            assertThat(kafka.isRunning()).isFalse();

            kafka.start();
            assertThat(kafka.bootstrapServers()).isEqualTo(servers);
            produce(servers, "after-kill");

            kafka.restart();
            assertThat(kafka.bootstrapServers()).isEqualTo(servers);
            assertThat(readAll(servers, 2)).containsExactly("before-kill", "after-kill");
            assertThat(Files.readString(kafka.logFile())).contains("kafka.Kafka");

            kafka.stop();
            assertThat(kafka.isRunning()).isFalse();
        }
        assertThat(dir).doesNotExist();
    }

    @Test
    void aBrokerThatCannotStartFailsWithTheTailOfItsLog() {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder()
                .brokerProperty("num.network.threads", "not-a-number")
                .startupTimeout(Duration.ofSeconds(60))
                .build()) {
            assertThatThrownBy(kafka::start)
                    .isInstanceOf(EmbeddedKafkaException.class)
                    .hasMessageContaining("num.network.threads")
                    .hasMessageContaining("last lines of");
            assertThat(kafka.isRunning()).isFalse();
        }
    }

    @Test
    void theChildHaltsAndDeletesItsDirectoryWhenItsParentGoesAway() throws Exception {
        Path dir = Files.createTempDirectory("outbox-kafka-orphan-");
        Files.writeString(dir.resolve(ChildMain.MARKER), "test");
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-D" + ChildMain.DIRECTORY_PROPERTY + "=" + dir,
                        "-cp",
                        System.getProperty("java.class.path"),
                        ChildMain.class.getName(),
                        Sleeper.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            assertThat(child.waitFor(1, TimeUnit.SECONDS))
                    .as("runs while its stdin is open")
                    .isFalse();
            child.getOutputStream().close(); // what the parent's death does to the pipe
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isEqualTo(3);
            assertThat(dir).doesNotExist();
        } finally {
            child.destroyForcibly();
        }
    }

    /** Stands in for the broker: runs until halted. */
    static final class Sleeper {
        public static void main(String[] args) throws InterruptedException {
            new java.util.concurrent.CountDownLatch(1).await(2, TimeUnit.MINUTES);
        }
    }

    private static void produce(String servers, String value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("embedded.it", "k", value)).get(60, TimeUnit.SECONDS);
        }
    }

    private static List<String> readAll(String servers, int count) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition("embedded.it", 0);
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(new String(r.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }
}
