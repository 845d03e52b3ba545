package dev.outbox.tracing.opentelemetry.guice;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import dev.outbox.IncomingMessage;
import dev.outbox.Message;
import dev.outbox.MessageHandler;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.guice.OutboxModule;
import dev.outbox.guice.RelayBroker;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.store.jdbi.guice.JdbiStoreModule;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import dev.outbox.tracing.opentelemetry.OutboxTracing;
import dev.outbox.tracing.opentelemetry.TracingAttributes;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The module traces the outbox and the relay that {@code OutboxModule} builds, on a real PostgreSQL store. */
class OpenTelemetryTracingModuleIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final String TOPIC = "Guice.Events.Traced";

    /** A recording broker that says it is RabbitMQ, so the append spans' system can be seen to come from it. */
    static final class RabbitLike implements Broker {
        final RecordingBroker recording = new RecordingBroker();

        @Override
        public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
            return recording.publish(messages);
        }

        @Override
        public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
            return recording.subscribe(spec, handler);
        }

        @Override
        public String messagingSystem() {
            return "rabbitmq";
        }

        @Override
        public void close() {
            recording.close();
        }
    }

    private SpanData named(String name) {
        List<SpanData> found =
                otel.getSpans().stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(found).as("spans named %s in %s", name, otel.getSpans()).hasSize(1);
        return found.get(0);
    }

    @Test
    void tracesTheOutboxTheRelayAndConsumersOfTheBoundBroker() {
        RabbitLike broker = new RabbitLike();
        Jdbi jdbi = pg.jdbi();
        Injector injector = Guice.createInjector(
                new OutboxModule("guice-tracing"),
                new JdbiStoreModule(JdbiStoreConfig.builder()
                        .tablePrefix("guice_tr")
                        .lanes(4)
                        .build()),
                new OpenTelemetryTracingModule(),
                new OpenTelemetryTracingModule(), // twice: harmless
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(Jdbi.class).toInstance(jdbi);
                        bind(Broker.class).toInstance(broker);
                        bind(OpenTelemetry.class).toInstance(otel.getOpenTelemetry());
                    }
                });
        injector.getInstance(JdbiMessageStore.class).migrate();
        OutboxTracing tracing = injector.getInstance(OutboxTracing.class);
        assertThat(injector.getInstance(Broker.class))
                .as("the plain binding stays")
                .isSameAs(broker);
        assertThat(injector.getInstance(Key.get(Broker.class, RelayBroker.class)))
                .isNotSameAs(broker);
        List<IncomingMessage> received = new CopyOnWriteArrayList<>();
        tracing.broker(injector.getInstance(Broker.class))
                .subscribe(SubscriptionSpec.builder("guice").patterns("Guice.#").build(), received::add);

        Span request =
                otel.getOpenTelemetry().getTracer("app").spanBuilder("request").startSpan();
        Scope scope = request.makeCurrent();
        try {
            jdbi.useTransaction(h -> injector.getInstance(JdbiOutbox.class)
                    .in(h)
                    .append(Message.builder(TOPIC)
                            .type("Traced")
                            .payload("x", "text/plain")
                            .build()));
        } finally {
            scope.close();
            request.end();
        }
        try (Relay relay = injector.getInstance(Relay.class)) {
            relay.drainNow();
        }

        assertThat(received).hasSize(1);
        SpanData create = named("create " + TOPIC);
        assertThat(create).hasParent(named("request")).hasAttribute(TracingAttributes.MESSAGING_SYSTEM, "rabbitmq");
        assertThat(named("publish " + TOPIC))
                .hasParent(create)
                .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, "rabbitmq")
                .hasAttribute(TracingAttributes.SOURCE, "guice-tracing");
        assertThat(named("process " + TOPIC)).hasParent(create);
    }

    @Test
    void withoutTheModuleNothingIsTracedAndModulesOfEqualSettingsAreEqual() {
        assertThat(new OpenTelemetryTracingModule()).isEqualTo(new OpenTelemetryTracingModule());
        assertThat(new OpenTelemetryTracingModule().withBaggage())
                .isEqualTo(new OpenTelemetryTracingModule().withBaggage())
                .isNotEqualTo(new OpenTelemetryTracingModule());
        RabbitLike broker = new RabbitLike();
        Injector injector = Guice.createInjector(
                new OutboxModule("untraced"),
                new JdbiStoreModule(JdbiStoreConfig.builder()
                        .tablePrefix("guice_plain")
                        .lanes(4)
                        .build()),
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(Jdbi.class).toInstance(pg.jdbi());
                        bind(Broker.class).toInstance(broker);
                    }
                });
        assertThat(injector.getExistingBinding(Key.get(Broker.class, RelayBroker.class)))
                .as("no decorated broker for the relay: it publishes through the bound one")
                .isNull();
        assertThat(injector.getExistingBinding(Key.get(AppendInterceptor.class)))
                .as("no append interceptor")
                .isNull();
    }
}
