package dev.outbox.examples.spring;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.Relay;
import dev.outbox.StoppedLane;
import dev.outbox.examples.warehouse.LowQuantityNotifier;
import dev.outbox.examples.warehouse.ProductsView;
import jakarta.persistence.EntityManagerFactory;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Import;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The warehouse on Spring Data JPA (JpaTransactionManager) and RabbitMQ; and the health indicator, which goes DOWN
 * when a lane stops and UP again after a restart through the {@code outbox} endpoint.
 */
@SpringBootTest(classes = WarehouseApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("jpa")
@Import(WarehouseWebServiceContract.Recorder.class)
class WarehouseRabbitJpaIT extends WarehouseWebServiceContract {
    private static final String EXCHANGE = "warehouse-test-" + RUN;
    private static final String PREFIX = "warehouse-test-" + RUN;

    @Autowired
    Relay relay;

    @Autowired
    EntityManagerFactory entityManagerFactory;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        database(registry);
        registry.add("outbox.broker", () -> "rabbitmq");
        registry.add("spring.rabbitmq.host", () -> "127.0.0.1");
        registry.add("spring.rabbitmq.username", () -> "guest");
        registry.add("spring.rabbitmq.password", () -> "guest");
        registry.add("outbox.rabbitmq.exchange", () -> EXCHANGE);
        registry.add("outbox.rabbitmq.queue-prefix", () -> PREFIX);
        registry.add("outbox.relay.max-attempts", () -> "1");
    }

    @Test
    void theCommandsRunUnderJpasTransactionManager() {
        assertThat(transactions).isInstanceOf(JpaTransactionManager.class);
        assertThat(entityManagerFactory).isNotNull();
    }

    @Test
    void healthIsDownWhileALaneIsStoppedAndUpAfterARestartThroughTheEndpoint() throws Exception {
        String topic = "Warehouse.Unrouted." + RUN;
        // No queue is bound for this routing key: RabbitMQ returns the message, which stops its lane.
        new TransactionTemplate(transactions)
                .executeWithoutResult(status -> outbox.appender().event(topic, "key-" + RUN, "Unrouted", "lost?"));
        await().atMost(ofSeconds(30))
                .until(() -> get("/actuator/health"), body -> outboxHealth(body).equals("DOWN"));
        assertThat(getAnswer("/actuator/health").status()).isEqualTo(503);
        List<StoppedLane> stopped = relay.stoppedLanes();
        assertThat(stopped).singleElement().satisfies(s -> assertThat(s.topic()).isEqualTo(topic));
        assertThat(get("/actuator/outbox")).contains(topic);

        bindQueue(topic);
        Answer restarted =
                postEmpty("/actuator/outbox/restart/" + stopped.get(0).lane());
        assertThat(restarted.status()).isEqualTo(200);
        await().atMost(ofSeconds(30))
                .until(() -> get("/actuator/health"), body -> outboxHealth(body).equals("UP"));
        assertThat(getAnswer("/actuator/health").status()).isEqualTo(200);
        assertThat(relay.stoppedLanes()).isEmpty();
    }

    /** The status of the outbox component in what {@code GET /actuator/health} answered. */
    private static String outboxHealth(String health) {
        try {
            return new ObjectMapper()
                    .readTree(health)
                    .at("/components/outbox/status")
                    .asText();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("health is not JSON: " + health, e);
        }
    }

    private static Connection connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri("amqp://guest:guest@127.0.0.1:5672");
        factory.setConnectionTimeout(5000);
        return factory.newConnection("warehouse-test-" + RUN);
    }

    private static void bindQueue(String topic) throws Exception {
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            ch.queueDeclare(PREFIX + ".unrouted", false, false, false, null);
            ch.queueBind(PREFIX + ".unrouted", EXCHANGE, topic);
        }
    }

    @AfterAll
    static void deleteQueues() throws Exception {
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            ch.queueDelete(PREFIX + ".unrouted");
            for (String name : List.of(ProductsView.NAME, LowQuantityNotifier.NAME, RECORDER)) {
                ch.queueDelete(PREFIX + "." + name);
                ch.queueDelete(PREFIX + "." + name + ".dlq");
                ch.exchangeDelete(PREFIX + "." + name + ".dlq");
            }
            ch.exchangeDelete(EXCHANGE);
        }
    }
}
