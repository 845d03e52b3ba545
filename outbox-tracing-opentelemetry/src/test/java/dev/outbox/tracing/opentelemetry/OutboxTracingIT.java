package dev.outbox.tracing.opentelemetry;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.broker.kafka.TopicPolicy;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.spi.Broker;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.TestRelays;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tracing end to end, on a real PostgreSQL and each real broker, with the SDK's in-memory exporter. The chain is the
 * warehouse's low-quantity notifier in miniature: a request ships stock and appends the event in its transaction; the
 * relay publishes it; a deduplicating consumer handles it and, stock being low, appends a notification through the
 * outbox in its own transaction; the relay publishes that; a second consumer handles it. All of it must be one trace,
 * span by span. Around it: a request that rolls back (its message is never published), the event delivered a second
 * time (its process span says it was a skipped duplicate), and a message the broker refuses (its publish span carries
 * the error).
 */
class OutboxTracingIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final String AMQP = "amqp://guest:guest@127.0.0.1:5672";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SOURCE = "tracing-it";
    private static final EmbeddedKafka kafka = EmbeddedKafka.shared();

    private final Tracer tracer = otel.getOpenTelemetry().getTracer("shop");

    @Test
    void onKafka() throws Exception {
        String run = run();
        String prefix = "Tracing." + run;
        try (KafkaBroker broker = KafkaBroker.create(KafkaBrokerSettings.builder(kafka.bootstrapServers())
                .clientId("tracing-" + run)
                .topicPolicy(TopicPolicy.createMissing(2, (short) 1))
                .build())) {
            // A name Kafka refuses as a topic: the relay's publish fails fatally.
            scenario(run, prefix, broker, "kafka", "Tracing " + run + " Refused");
        } finally {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                Set<String> ours = admin.listTopics().names().get().stream()
                        .filter(t -> t.startsWith(prefix))
                        .collect(java.util.stream.Collectors.toSet());
                admin.deleteTopics(ours).all().get();
            }
        }
    }

    @Test
    void onRabbitMq() throws Exception {
        String run = run();
        String prefix = "Tracing." + run;
        String names = "tracing-" + run;
        try (RabbitBroker broker = RabbitBroker.create(RabbitBrokerSettings.builder()
                .uri(AMQP)
                .exchange(names)
                .queuePrefix(names)
                .build())) {
            // A routing key no queue is bound to: the publish fails fatally (mandatory).
            scenario(run, prefix, broker, "rabbitmq", prefix + ".Refused");
        } finally {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(AMQP);
            try (var c = f.newConnection();
                    Channel ch = c.createChannel()) {
                for (String subscription : List.of("notifier-" + run, "alerts-" + run)) {
                    String queue = names + "." + subscription;
                    ch.queueDelete(queue);
                    ch.queueDelete(queue + ".dlq");
                    ch.exchangeDelete(queue + ".dlq");
                }
                ch.exchangeDelete(names);
            }
        }
    }

    private static String run() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private void scenario(String run, String prefix, Broker raw, String system, String refusedTopic) throws Exception {
        String shipped = prefix + ".Events.StockShipped";
        String lowStock = prefix + ".Notifications.LowStock";
        assertThat(raw.messagingSystem()).isEqualTo(system);
        Jdbi jdbi = pg.jdbi();
        OutboxTracing tracing = OutboxTracing.builder()
                .openTelemetry(otel.getOpenTelemetry())
                .messagingSystem(system)
                .build();
        Broker broker = tracing.broker(raw);
        JdbiMessageStore store = JdbiMessageStore.create(
                jdbi,
                JdbiStoreConfig.builder().tablePrefix("tr_" + run).lanes(8).build());
        store.migrate();
        JdbiOutbox outbox = JdbiOutbox.of(Outbox.builder()
                .store(store)
                .interceptor(tracing.appendInterceptor())
                .build());
        jdbi.useHandle(h -> h.execute("create table stock_" + run + " (sku text primary key, quantity int not null)"));
        jdbi.useHandle(h -> h.execute("insert into stock_" + run + " values ('sku-1', 9)"));

        AtomicReference<IncomingMessage> handledEvent = new AtomicReference<>();
        AtomicReference<IncomingMessage> handledAlert = new AtomicReference<>();
        try (Deduplicator dedup = Deduplicator.builder()
                        .jdbi(jdbi)
                        .consumer("notifier-" + run)
                        .table(DedupTable.named("processed_" + run))
                        .listener(TracingDedupListener.create())
                        .build();
                Relay relay = TestRelays.quick(store, broker, SOURCE).build()) {
            dedup.migrate();
            // The notifier: a consumer that appends in turn, in the transaction that records the event as processed.
            Subscription notifier = broker.subscribe(
                    SubscriptionSpec.builder("notifier-" + run)
                            .patterns(prefix + ".Events.#")
                            .build(),
                    dedup.wrap((h, m) -> {
                        handledEvent.set(m);
                        int left = Integer.parseInt(new String(m.payload(), StandardCharsets.UTF_8));
                        if (left <= 5) {
                            outbox.in(h).append(text(lowStock, m.envelope().key(), "LowStock", "sku-1"));
                        }
                    }));
            Subscription alerts = broker.subscribe(
                    SubscriptionSpec.builder("alerts-" + run)
                            .patterns(prefix + ".Notifications.#")
                            .build(),
                    handledAlert::set);
            try {
                relay.start();

                // A request whose transaction rolls back after the append.
                Span rolledBack = tracer.spanBuilder("POST /shipments (refused)")
                        .setSpanKind(SpanKind.SERVER)
                        .startSpan();
                Scope scope = rolledBack.makeCurrent();
                try {
                    assertThatThrownBy(() -> jdbi.useTransaction(h -> {
                                outbox.in(h).append(text(shipped, "sku-1", "StockShipped", "0"));
                                throw new IllegalStateException("not enough stock");
                            }))
                            .hasMessage("not enough stock");
                } finally {
                    scope.close();
                    rolledBack.end();
                }

                // A request that commits: stock falls from 9 to 4, the event says so.
                Span request = tracer.spanBuilder("POST /shipments")
                        .setSpanKind(SpanKind.SERVER)
                        .startSpan();
                MessageId eventId;
                scope = request.makeCurrent();
                try {
                    eventId = jdbi.inTransaction(h -> {
                        h.execute("update stock_" + run + " set quantity = quantity - 5 where sku = 'sku-1'");
                        return outbox.in(h).append(text(shipped, "sku-1", "StockShipped", "4"));
                    });
                } finally {
                    scope.close();
                    request.end();
                }
                await().atMost(WAIT).until(() -> handledAlert.get() != null && ended(named("process " + lowStock)));

                // The event once more, as a relay that lost its acknowledgement publishes it again.
                IncomingMessage first = handledEvent.get();
                broker.publish(List.of(new OutgoingMessage(first.envelope(), first.payload(), 0, 2)));
                await().atMost(WAIT)
                        .until(() -> ended(s -> s.getName().equals("process " + shipped)
                                && Boolean.TRUE.equals(s.getAttributes().get(TracingAttributes.DUPLICATE))));

                // A message the broker refuses.
                Span refusedRequest = tracer.spanBuilder("POST /refused").startSpan();
                scope = refusedRequest.makeCurrent();
                try {
                    jdbi.useTransaction(h -> outbox.in(h).append(text(refusedTopic, "k", "Refused", "x")));
                } finally {
                    scope.close();
                    refusedRequest.end();
                }
                await().atMost(WAIT).until(() -> ended(named("publish " + refusedTopic)));

                assertTheTrace(system, shipped, lowStock, eventId, run);
                assertTheRollbackLeftNoPublishSpan(shipped);
                assertTheDuplicateIsVisible(shipped, eventId);
                assertTheRefusalIsOnItsPublishSpan(refusedTopic);
            } finally {
                notifier.close();
                alerts.close();
            }
        }
    }

    private void assertTheTrace(String system, String shipped, String lowStock, MessageId eventId, String run) {
        SpanData request = only(named("POST /shipments"));
        SpanData createEvent = only(inTrace(request).and(named("create " + shipped)));
        SpanData publishEvent =
                only(inTrace(request).and(named("publish " + shipped)).and(s -> Long.valueOf(1)
                        .equals(s.getAttributes().get(TracingAttributes.ATTEMPT))));
        SpanData processEvent = only(inTrace(request)
                .and(named("process " + shipped))
                .and(s -> Boolean.FALSE.equals(s.getAttributes().get(TracingAttributes.DUPLICATE))));
        // One notification only: the duplicate delivered later (same trace) was skipped and appended nothing.
        SpanData createAlert = only(inTrace(request).and(named("create " + lowStock)));
        SpanData publishAlert = only(inTrace(request).and(named("publish " + lowStock)));
        SpanData processAlert = only(inTrace(request).and(named("process " + lowStock)));

        // request → create → (publish, process → create → (publish, process))
        assertThat(createEvent).hasParent(request).hasKind(SpanKind.PRODUCER);
        assertThat(publishEvent).hasParent(createEvent).hasKind(SpanKind.CLIENT);
        assertThat(processEvent).hasParent(createEvent).hasKind(SpanKind.CONSUMER);
        assertThat(createAlert).hasParent(processEvent).hasKind(SpanKind.PRODUCER);
        assertThat(publishAlert).hasParent(createAlert).hasKind(SpanKind.CLIENT);
        assertThat(processAlert).hasParent(createAlert).hasKind(SpanKind.CONSUMER);
        for (SpanData linked : List.of(publishEvent, processEvent)) {
            assertThat(linked).hasLinksSatisfying(links -> assertThat(links)
                    .singleElement()
                    .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(createEvent.getSpanId())));
        }

        long lane = createEvent.getAttributes().get(TracingAttributes.LANE);
        assertThat(createEvent)
                .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, system)
                .hasAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, shipped)
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "create")
                .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_ID, eventId.toString())
                .hasAttribute(TracingAttributes.MESSAGE_TYPE, "StockShipped");
        assertThat(publishEvent)
                .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, system)
                .hasAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, shipped)
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "send")
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_NAME, "publish")
                .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_ID, eventId.toString())
                .hasAttribute(TracingAttributes.SOURCE, SOURCE)
                .hasAttribute(TracingAttributes.LANE, lane)
                .hasAttribute(TracingAttributes.ATTEMPT, 1L)
                .hasStatus(io.opentelemetry.sdk.trace.data.StatusData.unset());
        assertThat(processEvent)
                .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, system)
                .hasAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, shipped)
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "process")
                .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_ID, eventId.toString())
                .hasAttribute(TracingAttributes.SOURCE, SOURCE)
                .hasAttribute(TracingAttributes.SUBSCRIPTION, "notifier-" + run)
                .hasAttribute(TracingAttributes.DELIVERY_ATTEMPT, 1L)
                .hasAttribute(TracingAttributes.DEDUP_CONSUMER, "notifier-" + run)
                .hasAttribute(TracingAttributes.DUPLICATE, false);
        assertThat(processAlert)
                .hasAttribute(TracingAttributes.SUBSCRIPTION, "alerts-" + run)
                .hasAttribute(TracingAttributes.MESSAGE_TYPE, "LowStock");
        assertThat(processAlert.getAttributes().get(TracingAttributes.DUPLICATE))
                .as("a consumer without dedup says nothing about duplicates")
                .isNull();
    }

    private void assertTheRollbackLeftNoPublishSpan(String shipped) {
        SpanData refused = only(named("POST /shipments (refused)"));
        List<SpanData> itsTrace =
                otel.getSpans().stream().filter(inTrace(refused)).toList();
        assertThat(itsTrace)
                .as("the rolled-back request's trace: its create span, and no publish or process span")
                .extracting(SpanData::getName)
                .containsExactlyInAnyOrder("create " + shipped, "POST /shipments (refused)");
    }

    private void assertTheDuplicateIsVisible(String shipped, MessageId eventId) {
        SpanData createEvent = only(named("create " + shipped)
                .and(s -> eventId.toString().equals(s.getAttributes().get(TracingAttributes.MESSAGING_MESSAGE_ID))));
        SpanData duplicate = only(named("process " + shipped)
                .and(s -> Boolean.TRUE.equals(s.getAttributes().get(TracingAttributes.DUPLICATE))));
        assertThat(duplicate)
                .as("the redelivery continues the same trace")
                .hasParent(createEvent)
                .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_ID, eventId.toString())
                .hasEventsSatisfying(events ->
                        assertThat(events).extracting(e -> e.getName()).contains("duplicate skipped"));
        assertThat(only(named("publish " + shipped)
                        .and(s -> Long.valueOf(2).equals(s.getAttributes().get(TracingAttributes.ATTEMPT)))))
                .hasParent(createEvent);
    }

    private void assertTheRefusalIsOnItsPublishSpan(String refusedTopic) {
        SpanData publish = only(named("publish " + refusedTopic));
        assertThat(publish)
                .hasParent(only(named("create " + refusedTopic)))
                .hasStatusSatisfying(s -> s.hasCode(StatusCode.ERROR))
                .hasAttribute(TracingAttributes.ERROR_RETRIABLE, false)
                .hasAttribute(TracingAttributes.ATTEMPT, 1L);
        String errorType = publish.getAttributes().get(TracingAttributes.ERROR_TYPE);
        assertThat(errorType).isNotNull();
        assertThat(FatalException.class.isAssignableFrom(classNamed(errorType)))
                .as("error.type %s is a FatalException", errorType)
                .isTrue();
        assertThat(publish.getEvents()).extracting(e -> e.getName()).contains("exception");
    }

    private static Class<?> classNamed(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError("error.type names no class: " + name, e);
        }
    }

    private static Message text(String topic, String key, String type, String payload) {
        return Message.builder(topic)
                .key(key)
                .type(type)
                .payload(payload, "text/plain")
                .build();
    }

    private static Predicate<SpanData> named(String name) {
        return s -> s.getName().equals(name);
    }

    private static Predicate<SpanData> inTrace(SpanData span) {
        return s -> s.getTraceId().equals(span.getTraceId());
    }

    private boolean ended(Predicate<SpanData> which) {
        return otel.getSpans().stream().anyMatch(which);
    }

    private SpanData only(Predicate<SpanData> which) {
        List<SpanData> found = otel.getSpans().stream().filter(which).toList();
        assertThat(found).as("spans matching, among %s", otel.getSpans()).hasSize(1);
        return found.get(0);
    }
}
