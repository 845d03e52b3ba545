package dev.outbox.examples.spring;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.outbox.Relay;
import dev.outbox.StoppedLane;
import dev.outbox.examples.warehouse.LowQuantityNotifier;
import dev.outbox.examples.warehouse.ProductQuantityIncreased;
import dev.outbox.examples.warehouse.ProductsView;
import dev.outbox.spi.StoredMessage;
import jakarta.persistence.EntityManagerFactory;
import java.nio.charset.StandardCharsets;
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
    private static final String PARKED_QUEUE = PREFIX + ".parked";

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

        bindQueue(PREFIX + ".unrouted", topic);
        Answer restarted =
                postEmpty("/actuator/outbox/restart/" + stopped.get(0).lane());
        assertThat(restarted.status()).isEqualTo(200);
        await().atMost(ofSeconds(30))
                .until(() -> get("/actuator/health"), body -> outboxHealth(body).equals("UP"));
        assertThat(getAnswer("/actuator/health").status()).isEqualTo(200);
        assertThat(relay.stoppedLanes()).isEmpty();
    }

    @Test
    void skipParksAStoppedLanesHeadSoTheLaneFlowsAndReplayPublishesItAgain() throws Exception {
        String sku = "sku-p-" + RUN;
        String topic = "Warehouse.Parked." + RUN;
        // An unroutable message of this product's key stops its lane; the product's next event waits behind it (G3).
        TransactionTemplate transaction = new TransactionTemplate(transactions);
        transaction.executeWithoutResult(status -> outbox.appender().event(topic, sku, "Parked", "parked?"));
        await().atMost(ofSeconds(30)).until(() -> relay.stoppedLanes().stream()
                .anyMatch(s -> s.topic().equals(topic)));
        StoppedLane stopped = relay.stoppedLanes().stream()
                .filter(s -> s.topic().equals(topic))
                .findFirst()
                .orElseThrow();
        assertThat(post(sku, "increase_quantity", 2).status()).isEqualTo(200);
        List<StoredMessage> waiting = transaction.execute(status -> outbox.pending());
        assertThat(waiting).anySatisfy(m -> assertThat(m.key()).isEqualTo(sku));
        assertThat(events(sku)).isEmpty();

        Answer skipped = postEmpty("/actuator/outbox/skip/" + stopped.lane());
        assertThat(skipped.status()).isEqualTo(200);
        JsonNode parked = new ObjectMapper().readTree(skipped.body());
        assertThat(parked.get("messageId").asLong())
                .isEqualTo(stopped.messageId().value());
        assertThat(parked.get("topic").asText()).isEqualTo(topic);
        // The lane flows again: the event that waited behind the parked message arrives.
        await().atMost(ofSeconds(30)).until(() -> events(sku).contains(new ProductQuantityIncreased(sku, 2)));
        assertThat(relay.stoppedLanes()).isEmpty();
        assertThat(get("/actuator/outbox")).contains(topic);

        bindQueue(PARKED_QUEUE, topic);
        Answer replayed =
                postEmpty("/actuator/outbox/replay/" + stopped.messageId().value());
        assertThat(replayed.status()).isEqualTo(200);
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            GetResponse delivered =
                    await().atMost(ofSeconds(30)).until(() -> ch.basicGet(PARKED_QUEUE, true), r -> r != null);
            assertThat(delivered.getProps().getType()).isEqualTo("Parked");
            assertThat(new String(delivered.getBody(), StandardCharsets.UTF_8)).contains("parked?");
        }
        assertThat(get("/actuator/outbox")).doesNotContain(topic);
        // A message that is not parked cannot be replayed.
        assertThat(postEmpty("/actuator/outbox/replay/" + stopped.messageId().value())
                        .status())
                .isEqualTo(400);
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

    private static void bindQueue(String queue, String topic) throws Exception {
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            ch.queueDeclare(queue, false, false, false, null);
            ch.queueBind(queue, EXCHANGE, topic);
        }
    }

    @AfterAll
    static void deleteQueues() throws Exception {
        try (Connection c = connect();
                Channel ch = c.createChannel()) {
            ch.queueDelete(PREFIX + ".unrouted");
            ch.queueDelete(PARKED_QUEUE);
            for (String name : List.of(ProductsView.NAME, LowQuantityNotifier.NAME, RECORDER)) {
                ch.queueDelete(PREFIX + "." + name);
                ch.queueDelete(PREFIX + "." + name + ".dlq");
                ch.exchangeDelete(PREFIX + "." + name + ".dlq");
            }
            ch.exchangeDelete(EXCHANGE);
        }
    }
}
