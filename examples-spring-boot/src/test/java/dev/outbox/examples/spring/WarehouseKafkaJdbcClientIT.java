package dev.outbox.examples.spring;

import dev.outbox.kafka.embedded.EmbeddedKafka;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The warehouse on JdbcClient (DataSourceTransactionManager) and Kafka. */
@SpringBootTest(classes = WarehouseApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(WarehouseWebServiceContract.Recorder.class)
class WarehouseKafkaJdbcClientIT extends WarehouseWebServiceContract {
    private static final EmbeddedKafka kafka = EmbeddedKafka.shared();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        database(registry);
        registry.add("outbox.broker", () -> "kafka");
        registry.add("outbox.kafka.bootstrap-servers", () -> {
            if (!kafka.isRunning()) {
                kafka.start();
            }
            return kafka.bootstrapServers();
        });
        registry.add("outbox.kafka.client-id", () -> "warehouse-" + RUN);
    }
}
