package dev.outbox.examples.spring;

import dev.outbox.kafka.embedded.EmbeddedKafka;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The warehouse web service on embedded defaults ({@code bin/demo --spring}): an embedded PostgreSQL unless {@code
 * --spring.datasource.url=...} is given, an embedded Kafka unless {@code --rabbitmq} (the RabbitMQ at {@code
 * spring.rabbitmq.*}, local by default) or {@code --outbox.kafka.bootstrap-servers=...}; {@code --jpa} for Spring Data
 * JPA instead of JdbcClient. Other {@code --name=value} arguments are Spring Boot properties. Stops on Ctrl-C.
 */
public final class WarehouseDemo {
    private WarehouseDemo() {}

    /** Runs the demo until the JVM is stopped. */
    public static void main(String[] args) throws IOException {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        boolean rabbit = rest.remove("--rabbitmq");
        boolean jpa = rest.remove("--jpa");
        Map<String, Object> defaults = new HashMap<>();
        List<AutoCloseable> services = new ArrayList<>();
        if (rest.stream().noneMatch(a -> a.startsWith("--spring.datasource.url="))) {
            System.out.println("starting an embedded PostgreSQL ...");
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setRegisterShutdownHook(false) // stopped by ours, after the application
                    .start();
            services.add(pg);
            defaults.put("spring.datasource.url", pg.getJdbcUrl("postgres", "postgres"));
            defaults.put("spring.datasource.username", "postgres");
        }
        if (rabbit) {
            defaults.put("outbox.broker", "rabbitmq");
        } else if (rest.stream().noneMatch(a -> a.startsWith("--outbox.kafka.bootstrap-servers="))) {
            System.out.println("starting an embedded Kafka ...");
            EmbeddedKafka kafka = EmbeddedKafka.builder().build();
            services.add(kafka);
            kafka.start();
            defaults.put("outbox.kafka.bootstrap-servers", kafka.bootstrapServers());
        }
        SpringApplication app = new SpringApplication(WarehouseApplication.class);
        app.setDefaultProperties(defaults);
        // One shutdown hook, ours: the application stops (relay drained, subscriptions closed) before its services.
        app.setRegisterShutdownHook(false);
        if (jpa) {
            app.setAdditionalProfiles("jpa");
        }
        ConfigurableApplicationContext context = app.run(rest.toArray(String[]::new));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> close(context, services), "outbox-demo-shutdown"));
        String url = "http://localhost:" + context.getEnvironment().getProperty("local.server.port", "8080");
        System.out.println();
        System.out.println("The warehouse is at " + url + "/warehouse/products (" + (jpa ? "JPA" : "JdbcClient") + ", "
                + (rabbit ? "RabbitMQ" : "Kafka") + "). Try:");
        System.out.println("  curl -X POST -H 'Content-Type: application/json' -d '{\"quantity\": 10}' " + url
                + "/warehouse/products/sku-1/increase_quantity");
        System.out.println("  curl -X POST -H 'Content-Type: application/json' -d '{\"quantity\": 7}' " + url
                + "/warehouse/products/sku-1/ship_quantity");
        System.out.println("  curl " + url + "/warehouse/products");
        System.out.println("  curl " + url + "/actuator/health   and   curl " + url + "/actuator/outbox");
        System.out.println("Ctrl-C stops it.");
    }

    private static void close(ConfigurableApplicationContext context, List<AutoCloseable> services) {
        context.close();
        for (int i = services.size() - 1; i >= 0; i--) {
            try {
                services.get(i).close();
            } catch (Exception e) {
                System.err.println("could not close " + services.get(i) + ": " + e);
            }
        }
    }
}
