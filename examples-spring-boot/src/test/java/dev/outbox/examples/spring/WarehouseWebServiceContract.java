package dev.outbox.examples.spring;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.IncomingMessage;
import dev.outbox.SubscriptionSpec;
import dev.outbox.TransactionRequiredException;
import dev.outbox.examples.warehouse.NotifiedLowProductQuantity;
import dev.outbox.examples.warehouse.ProductQuantityIncreased;
import dev.outbox.examples.warehouse.ProductQuantityShipped;
import dev.outbox.examples.warehouse.ProductsView;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spring.OutboxSubscriber;
import dev.outbox.spring.SpringOutbox;
import dev.outbox.testkit.Schema;
import dev.outbox.testkit.TestPostgres;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The warehouse web service over real HTTP, a real PostgreSQL and a real broker: what every variant (JdbcClient or
 * JPA, Kafka or RabbitMQ) must do. Each subclass is one Spring context, started once for its tests.
 */
@DirtiesContext
abstract class WarehouseWebServiceContract {
    /** The schemas of the contexts, each dropped when its context closes, after its relay stopped. */
    private static final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final String RECORDER = "test-recorder-" + RUN;
    static final Queue<IncomingMessage> received = new ConcurrentLinkedQueue<>();

    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    WarehouseService warehouse;

    @Autowired
    SpringOutbox outbox;

    @Autowired
    MessageSerializer serializer;

    @Autowired
    PlatformTransactionManager transactions;

    @Autowired
    MeterRegistry meters;

    static void database(DynamicPropertyRegistry registry) {
        Schema schema = TestPostgres.get().createSchema();
        schemas.put(schema.name(), schema);
        registry.add("test.schema", schema::name);
        registry.add(
                "spring.datasource.url",
                () -> TestPostgres.get().url() + (TestPostgres.get().url().contains("?") ? "&" : "?") + "currentSchema="
                        + schema.name());
        registry.add("spring.datasource.username", () -> TestPostgres.get().user());
        registry.add("outbox.relay.frequency", () -> "20ms");
    }

    @BeforeAll
    static void forgetEarlierContexts() {
        received.clear();
    }

    /** Records every warehouse event that reaches the broker, through a subscription of its own. */
    @TestConfiguration(proxyBeanMethods = false)
    static class Recorder {
        @Bean
        DisposableBean dropSchemaAtClose(@Value("${test.schema}") String name) {
            return () -> schemas.remove(name).close();
        }

        @Bean
        OutboxSubscriber recorder() {
            return OutboxSubscriber.atLeastOnce(
                    SubscriptionSpec.builder(RECORDER)
                            .patterns("Warehouse.Events.#")
                            .build(),
                    received::add);
        }
    }

    @Test
    void commandsOverHttpPublishTheirEventsAndTheViewCatchesUp() throws Exception {
        String sku = "sku-a-" + RUN;
        assertThat(post(sku, "increase_quantity", 10)).isEqualTo(new Answer(200, quantity(sku, 10)));
        assertThat(post(sku, "ship_quantity", 7)).isEqualTo(new Answer(200, quantity(sku, 3)));

        await().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(events(sku))
                .containsExactly(
                        new ProductQuantityIncreased(sku, 10),
                        new ProductQuantityShipped(sku, 7),
                        // the low-quantity notifier's own event, appended in its consuming transaction
                        new NotifiedLowProductQuantity(sku)));
        await().atMost(ofSeconds(30)).until(() -> get("/warehouse/products").contains(quantity(sku, 3)));
    }

    @Test
    void theRelaysAndConsumersMetersAreInTheApplicationsRegistry() throws Exception {
        String sku = "sku-m-" + RUN;
        assertThat(post(sku, "increase_quantity", 4).status()).isEqualTo(200);
        await().atMost(ofSeconds(30)).until(() -> events(sku).contains(new ProductQuantityIncreased(sku, 4)));
        await().atMost(ofSeconds(30)).until(() -> get("/warehouse/products").contains(quantity(sku, 4)));

        // The relay's, the at-least-once recorder's and the exactly-once view's meters, all in the one registry.
        await().atMost(ofSeconds(30)).untilAsserted(() -> {
            assertThat(meters.find("outbox.relay.published").counters().stream()
                            .mapToDouble(Counter::count)
                            .sum())
                    .isPositive();
            assertThat(meters.get("outbox.consumer.handled")
                            .tag("subscription", RECORDER)
                            .counter()
                            .count())
                    .isPositive();
            assertThat(meters.get("outbox.dedup.processed")
                            .tag("consumer", ProductsView.NAME)
                            .timer()
                            .count())
                    .isPositive();
        });
        assertThat(meters.get("outbox.relay.lanes.owned").gauge().value()).isPositive();
    }

    @Test
    void aRefusedShipmentAnswers400AndLeavesNoMessage() throws Exception {
        String sku = "sku-b-" + RUN;
        Answer refused = post(sku, "ship_quantity", 5);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("InsufficientQuantityOnHand");
        // A later command on the same key is published after anything appended before it: once it is there, a
        // shipment event of the refused command would be too.
        assertThat(post(sku, "increase_quantity", 1).status()).isEqualTo(200);
        await().atMost(ofSeconds(30)).until(() -> events(sku).contains(new ProductQuantityIncreased(sku, 1)));
        assertThat(events(sku)).containsExactly(new ProductQuantityIncreased(sku, 1));
    }

    @Test
    void anExceptionAfterTheAppendRollsTheMessageBack() {
        String sku = "sku-c-" + RUN;
        TransactionTemplate transaction = new TransactionTemplate(transactions);
        assertThatThrownBy(() -> transaction.executeWithoutResult(status -> {
                    warehouse.increase(sku, 5);
                    assertThat(outbox.pending(ProductQuantityIncreased.TYPE, ProductQuantityIncreased.class))
                            .contains(new ProductQuantityIncreased(sku, 5));
                    throw new IllegalStateException("after the append");
                }))
                .hasMessage("after the append");

        warehouse.increase(sku, 1);
        await().atMost(ofSeconds(30)).until(() -> events(sku).contains(new ProductQuantityIncreased(sku, 1)));
        assertThat(events(sku)).containsExactly(new ProductQuantityIncreased(sku, 1));
    }

    @Test
    void appendingOutsideATransactionIsRefused() {
        assertThatThrownBy(() -> outbox.appender())
                .isInstanceOf(TransactionRequiredException.class)
                .hasMessageContaining("no Spring-managed transaction is active");
    }

    /** The events of one product that reached the broker, in the order they arrived. */
    List<Object> events(String sku) {
        return received.stream()
                .filter(m -> sku.equals(m.envelope().key()))
                .<Object>map(m -> switch (m.envelope().type()) {
                    case ProductQuantityIncreased.TYPE -> serializer.read(m, ProductQuantityIncreased.class);
                    case ProductQuantityShipped.TYPE -> serializer.read(m, ProductQuantityShipped.class);
                    case NotifiedLowProductQuantity.TYPE -> serializer.read(m, NotifiedLowProductQuantity.class);
                    default -> m.envelope().type();
                })
                .toList();
    }

    record Answer(int status, String body) {}

    static String quantity(String sku, int quantity) {
        return "{\"sku\":\"" + sku + "\",\"quantity\":" + quantity + "}";
    }

    Answer post(String sku, String command, int quantity) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri("/warehouse/products/" + sku + "/" + command))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"quantity\":" + quantity + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer postEmpty(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri(path))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    String get(String path) throws IOException, InterruptedException {
        return getAnswer(path).body();
    }

    Answer getAnswer(String path) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
