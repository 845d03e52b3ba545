package dev.outbox.broker.kafka;

import dev.outbox.OutgoingMessage;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.internal.WireHeaders;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.spi.Broker;
import dev.outbox.testkit.BrokerContract;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class KafkaBrokerContractIT extends BrokerContract {
    private static final int MAX_REQUEST_SIZE = 256 * 1024;

    private static EmbeddedKafka kafka;
    private static KafkaBroker broker;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.shared();
        broker = KafkaBroker.create(TestKafka.settings(kafka, 3)
                .producerProperty("max.request.size", Integer.toString(MAX_REQUEST_SIZE))
                .build());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Override
    protected Broker broker() {
        return broker;
    }

    @Override
    protected OutgoingMessage fatallyRefused(OutgoingMessage valid) {
        return new OutgoingMessage(valid.envelope(), new byte[MAX_REQUEST_SIZE + 1], valid.lane());
    }

    @Override
    protected Broker unreachableBroker() {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return KafkaBroker.create(KafkaBrokerSettings.builder("127.0.0.1:" + closedPort)
                .topicPolicy(TopicPolicy.createMissing())
                .adminTimeout(Duration.ofSeconds(2))
                .producerProperty("max.block.ms", "2000")
                .producerProperty("request.timeout.ms", "2000")
                .producerProperty("delivery.timeout.ms", "4000")
                .closeTimeout(Duration.ofSeconds(2))
                .build());
    }

    @Override
    protected void publishWithoutEnvelope(String topic, byte[] payload) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, 0, null, payload)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not publish to " + topic, e);
        }
    }

    @Override
    protected List<DeadLetter> deadLetters(SubscriptionSpec spec, int count, Duration timeout) {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TestKafka.readAll(kafka, spec.deadLetterOrDefault(), count, timeout)) {
            letters.add(new DeadLetter(WireHeaders.fromKafka(r.headers()), r.value()));
        }
        return letters;
    }
}
