package dev.outbox.spring;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.IncomingMessage;
import dev.outbox.RetriableException;
import dev.outbox.SubscriptionSpec;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.spi.Broker;
import dev.outbox.spi.StoredMessage;
import dev.outbox.spring.actuate.OutboxActuatorAutoConfiguration;
import dev.outbox.spring.actuate.OutboxHealthIndicator;
import dev.outbox.spring.autoconfigure.OutboxAutoConfiguration;
import dev.outbox.spring.autoconfigure.OutboxTracingAutoConfiguration;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.RecordingBroker;
import dev.outbox.testkit.Schema;
import dev.outbox.testkit.TestPostgres;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The starter on a real PostgreSQL, in an application that only appends ({@code outbox.relay.enabled=false}): the
 * tables made by Flyway from the store's own script, and tracing wired when OpenTelemetry is there; and, with a relay
 * on a broker in this process, the health indicator's OUT_OF_SERVICE states and a trace from append to handler.
 */
class OutboxStarterIT {
    private Schema schema;

    @BeforeEach
    void schema() {
        schema = TestPostgres.get().createSchema();
    }

    @AfterEach
    void drop() {
        schema.close();
    }

    private ApplicationContextRunner runner() {
        DataSource dataSource = schema.dataSource();
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(OutboxAutoConfiguration.class))
                .withBean(DataSource.class, () -> dataSource)
                .withBean(PlatformTransactionManager.class, () -> new DataSourceTransactionManager(dataSource))
                .withPropertyValues("outbox.relay.enabled=false", "outbox.tracing.enabled=false");
    }

    @Test
    void flywayCreatesTheTablesFromTheStoresScript(@TempDir Path migrations) throws Exception {
        // What `outbox-admin schema` prints, saved as the application's first migration.
        String script = JdbiMessageStore.create(schema.jdbi(), JdbiStoreConfig.defaults())
                .migrationScript();
        Files.writeString(migrations.resolve("V1__outbox.sql"), script);

        runner().withConfiguration(AutoConfigurations.of(FlywayAutoConfiguration.class))
                .withPropertyValues(
                        "outbox.store.migrate=false",
                        "spring.flyway.locations=filesystem:" + migrations,
                        "spring.flyway.schemas=" + schema.name())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    SpringOutbox outbox = context.getBean(SpringOutbox.class);
                    List<StoredMessage> pending = new TransactionTemplate(
                                    context.getBean(PlatformTransactionManager.class))
                            .execute(status -> {
                                outbox.appender().event("Billing.Events.InvoiceSent", Map.of("invoice", 7));
                                return outbox.pending();
                            });
                    assertThat(pending).singleElement().satisfies(m -> assertThat(m.topic())
                            .isEqualTo("Billing.Events.InvoiceSent"));
                    // The lanes the relay claims are there too.
                    assertThat(context.getBean(JdbiMessageStore.class).status()).hasSize(JdbiStoreConfig.DEFAULT_LANES);
                });
    }

    @Test
    void appendsAreTracedWhenOpenTelemetryIsThere() {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                        .build())
                .build()) {
            runner().withConfiguration(AutoConfigurations.of(OutboxTracingAutoConfiguration.class))
                    .withBean(OpenTelemetry.class, () -> sdk)
                    .withPropertyValues("outbox.tracing.enabled=true")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        SpringOutbox outbox = context.getBean(SpringOutbox.class);
                        Span request =
                                sdk.getTracer("test").spanBuilder("request").startSpan();
                        List<StoredMessage> pending;
                        Scope scope = request.makeCurrent();
                        try {
                            pending = new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
                                    .execute(status -> {
                                        outbox.appender().event("Billing.Events.InvoiceSent", Map.of("invoice", 8));
                                        return outbox.pending();
                                    });
                        } finally {
                            scope.close();
                            request.end();
                        }
                        String traceId = request.getSpanContext().getTraceId();
                        assertThat(pending).singleElement().satisfies(m -> assertThat(m.headers())
                                .containsKey("traceparent")
                                .hasEntrySatisfying(
                                        "traceparent", v -> assertThat(v).contains(traceId)));
                        assertThat(exporter.getFinishedSpanItems())
                                .extracting(SpanData::getName)
                                .contains("create Billing.Events.InvoiceSent");
                    });
        }
    }

    /** An application that runs a relay, on a broker in this process. */
    private ApplicationContextRunner relayRunner(RecordingBroker broker) {
        return runner().withConfiguration(AutoConfigurations.of(OutboxActuatorAutoConfiguration.class))
                .withBean(Broker.class, () -> broker)
                .withPropertyValues(
                        "outbox.relay.enabled=true",
                        "outbox.source=billing",
                        "outbox.relay.frequency=20ms",
                        "outbox.relay.maintenance-interval=50ms");
    }

    @Test
    void healthIsOutOfServiceWhileTheRelayHoldsNoLane() {
        relayRunner(new RecordingBroker())
                .withPropertyValues("outbox.relay.auto-startup=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Health health = context.getBean(OutboxHealthIndicator.class).health(true);
                    assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
                    assertThat(health.getDetails())
                            .containsEntry("lanesHeld", 0)
                            .containsEntry("reason", "this relay holds no lane");

                    // Started by hand, as outbox.relay.auto-startup=false asks: it claims the lanes.
                    context.start();
                    await().atMost(ofSeconds(30)).until(() -> context.getBean(OutboxHealthIndicator.class)
                            .health(true)
                            .getStatus()
                            .equals(Status.UP));
                });
    }

    @Test
    void healthIsOutOfServiceWhileTheOldestMessageWaitsPastTheLagThreshold() {
        RecordingBroker broker =
                new RecordingBroker().failWhen(m -> Optional.of(new RetriableException("the broker is slow")));
        relayRunner(broker).withPropertyValues("outbox.relay.lag-threshold=1ms").run(context -> {
            assertThat(context).hasNotFailed();
            OutboxHealthIndicator indicator = context.getBean(OutboxHealthIndicator.class);
            await().atMost(ofSeconds(30))
                    .until(() -> indicator.health(true).getStatus().equals(Status.UP));

            new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
                    .executeWithoutResult(status ->
                            context.getBean(SpringOutbox.class).appender().event("Billing.Events.InvoiceSent", 9));
            await().atMost(ofSeconds(30))
                    .until(() -> indicator.health(true).getStatus().equals(Status.OUT_OF_SERVICE));
            Health health = indicator.health(true);
            assertThat(health.getDetails())
                    .containsEntry("waiting", 1L)
                    .containsEntry("reason", "the oldest message waits longer than PT0.001S");
            assertThat(broker.attempted()).isNotEmpty();
            assertThat(broker.published()).isEmpty();
        });
    }

    @Test
    void aMessageIsTracedFromItsAppendThroughItsPublishToItsHandler() {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        Queue<IncomingMessage> handled = new ConcurrentLinkedQueue<>();
        String topic = "Billing.Events.InvoicePaid";
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                        .build())
                .build()) {
            relayRunner(new RecordingBroker())
                    .withConfiguration(AutoConfigurations.of(OutboxTracingAutoConfiguration.class))
                    .withBean(OpenTelemetry.class, () -> sdk)
                    .withBean(
                            OutboxSubscriber.class,
                            () -> OutboxSubscriber.exactlyOnce(
                                    SubscriptionSpec.builder("ledger")
                                            .patterns("Billing.Events.#")
                                            .build(),
                                    handled::add))
                    .withPropertyValues("outbox.tracing.enabled=true")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        Span request =
                                sdk.getTracer("test").spanBuilder("request").startSpan();
                        Scope scope = request.makeCurrent();
                        try {
                            new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
                                    .executeWithoutResult(status -> context.getBean(SpringOutbox.class)
                                            .appender()
                                            .event(topic, Map.of("invoice", 10)));
                        } finally {
                            scope.close();
                            request.end();
                        }
                        await().atMost(ofSeconds(30)).until(() -> !handled.isEmpty());
                        String traceId = request.getSpanContext().getTraceId();
                        // The handler's span ends after it returns.
                        await().atMost(ofSeconds(30)).untilAsserted(() -> assertThat(exporter.getFinishedSpanItems())
                                .filteredOn(span -> span.getTraceId().equals(traceId))
                                .extracting(SpanData::getName)
                                .contains("create " + topic, "publish " + topic, "process " + topic));
                    });
        }
    }

    @Test
    void theExactlyOnceSubscribersRecordsLiveInTheOutboxSchema() throws Exception {
        String outboxSchema = schema.name() + "_outbox";
        Queue<IncomingMessage> handled = new ConcurrentLinkedQueue<>();
        try {
            relayRunner(new RecordingBroker())
                    .withBean(
                            OutboxSubscriber.class,
                            () -> OutboxSubscriber.exactlyOnce(
                                    SubscriptionSpec.builder("ledger")
                                            .patterns("Billing.Events.#")
                                            .build(),
                                    handled::add))
                    .withPropertyValues("outbox.store.schema=" + outboxSchema)
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
                                .executeWithoutResult(status -> context.getBean(SpringOutbox.class)
                                        .appender()
                                        .event("Billing.Events.InvoicePaid", Map.of("invoice", 11)));
                        await().atMost(ofSeconds(30)).until(() -> !handled.isEmpty());
                        assertThat(schemasOf(DedupTable.DEFAULT_NAME)).containsExactly(outboxSchema);
                        List<String> consumers = schema.jdbi().withHandle(h -> h.createQuery(
                                        "select consumer from \"" + outboxSchema + "\"." + DedupTable.DEFAULT_NAME)
                                .mapTo(String.class)
                                .list());
                        assertThat(consumers).containsExactly("ledger");
                    });
        } finally {
            // The context closed the test's pool with itself.
            try (Connection c = TestPostgres.get().connect();
                    Statement st = c.createStatement()) {
                st.execute("drop schema if exists \"" + outboxSchema + "\" cascade");
            }
        }
    }

    /** The schemas of this test's database that hold a table of this name. */
    private List<String> schemasOf(String table) {
        return schema.jdbi().withHandle(h -> h.createQuery(
                        "select table_schema from information_schema.tables where table_name = :table"
                                + " and table_schema like :prefix order by 1")
                .bind("table", table)
                .bind("prefix", schema.name() + "%")
                .mapTo(String.class)
                .list());
    }
}
