package dev.outbox.tracing.opentelemetry;

import static io.opentelemetry.sdk.testing.assertj.OpenTelemetryAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.StoreException;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.spi.NewMessage;
import dev.outbox.testkit.RecordingBroker;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The spans each decorator records, their relations and attributes, with the SDK's in-memory exporter. */
class OutboxTracingTest {
    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private static final String TOPIC = "Warehouse.Events.ProductAdded";

    private final OutboxTracing tracing = OutboxTracing.builder()
            .openTelemetry(otel.getOpenTelemetry())
            .messagingSystem("kafka")
            .build();
    private final Tracer tracer = otel.getOpenTelemetry().getTracer("test");
    private final AtomicLong ids = new AtomicLong(100);

    private static Message message(String key, Map<String, String> headers) {
        return Message.builder(TOPIC)
                .key(key)
                .type("ProductAdded")
                .payload("{\"sku\":\"" + key + "\"}", "application/json")
                .headers(headers)
                .build();
    }

    /** The store's side of an append: ids in order, and the messages it was given. */
    private AppendInterceptor.Next store(List<List<NewMessage>> stored) {
        return messages -> {
            stored.add(messages);
            List<MessageId> out = new ArrayList<>();
            messages.forEach(m -> out.add(new MessageId(ids.incrementAndGet())));
            return out;
        };
    }

    private static SpanContext contextOf(Map<String, String> headers) {
        return Span.fromContext(
                        W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, Headers.INSTANCE))
                .getSpanContext();
    }

    private SpanData span(String name) {
        return otel.getSpans().stream()
                .filter(s -> s.getName().equals(name))
                .reduce((a, b) -> {
                    throw new AssertionError("more than one span named " + name);
                })
                .orElseThrow(() -> new AssertionError("no span named " + name + " in " + otel.getSpans()));
    }

    private static OutgoingMessage outgoing(long id, Map<String, String> headers, int attempt) {
        return new OutgoingMessage(
                new Envelope(
                        new MessageId(id),
                        "warehouse",
                        TOPIC,
                        "sku-" + id,
                        "ProductAdded",
                        "application/json",
                        Instant.parse("2026-11-23T10:00:00Z"),
                        headers),
                "{}".getBytes(StandardCharsets.UTF_8),
                5,
                attempt);
    }

    // --- append ------------------------------------------------------------------------------------------------

    @Test
    void anAppendRecordsACreateSpanPerMessageInTheCallersTraceAndStoresItsContext() {
        List<List<NewMessage>> stored = new ArrayList<>();
        Span request = tracer.spanBuilder("request").startSpan();
        List<MessageId> appended;
        Scope scope = request.makeCurrent();
        try {
            appended = tracing.appendInterceptor()
                    .intercept(
                            List.of(
                                    new NewMessage(3, message("a", Map.of())),
                                    new NewMessage(4, message("b", Map.of()))),
                            store(stored));
        } finally {
            scope.close();
            request.end();
        }

        List<SpanData> creates = otel.getSpans().stream()
                .filter(s -> s.getName().equals("create " + TOPIC))
                .toList();
        assertThat(creates).hasSize(2);
        SpanData requestSpan = span("request");
        for (int i = 0; i < 2; i++) {
            SpanData create = creates.get(i);
            assertThat(create)
                    .hasKind(SpanKind.PRODUCER)
                    .hasParent(requestSpan)
                    .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, "kafka")
                    .hasAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, TOPIC)
                    .hasAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "create")
                    .hasAttribute(TracingAttributes.MESSAGING_OPERATION_NAME, "create")
                    .hasAttribute(TracingAttributes.MESSAGE_TYPE, "ProductAdded")
                    .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_BODY_SIZE, 11L)
                    .hasAttribute(
                            TracingAttributes.MESSAGING_MESSAGE_ID,
                            appended.get(i).toString())
                    .hasEnded();
            NewMessage m = stored.get(0).get(i);
            SpanContext carried = contextOf(m.message().headers());
            assertThat(carried.getSpanId())
                    .as("the stored creation context is the create span's")
                    .isEqualTo(create.getSpanId());
            assertThat(carried.getTraceId()).isEqualTo(requestSpan.getTraceId());
            assertThat(create).hasAttribute(TracingAttributes.LANE, (long) m.lane());
        }
        assertThat(stored.get(0)).extracting(NewMessage::lane).containsExactly(3, 4);
    }

    @Test
    void aMessageWithACreationContextOfItsOwnKeepsItAndGetsNoCreateSpan() {
        Span elsewhere = tracer.spanBuilder("elsewhere").startSpan();
        elsewhere.end();
        String given = "00-" + elsewhere.getSpanContext().getTraceId() + "-"
                + elsewhere.getSpanContext().getSpanId() + "-01";
        NewMessage own = new NewMessage(1, message("a", Map.of("traceparent", given)));
        List<List<NewMessage>> stored = new ArrayList<>();

        Span request = tracer.spanBuilder("request").startSpan();
        Scope scope = request.makeCurrent();
        try {
            tracing.appendInterceptor().intercept(List.of(own), store(stored));
        } finally {
            scope.close();
            request.end();
        }

        assertThat(stored.get(0).get(0)).isSameAs(own);
        assertThat(otel.getSpans()).extracting(SpanData::getName).doesNotContain("create " + TOPIC);
    }

    @Test
    void theCurrentContextWrittenByContextHeadersIsReplacedByTheCreateSpans() {
        List<List<NewMessage>> stored = new ArrayList<>();
        Span request = tracer.spanBuilder("request").startSpan();
        Scope scope = request.makeCurrent();
        try {
            Map<String, String> fromSupplier = tracing.contextHeaders().get();
            assertThat(contextOf(fromSupplier).getSpanId())
                    .isEqualTo(request.getSpanContext().getSpanId());
            tracing.appendInterceptor()
                    .intercept(List.of(new NewMessage(1, message("a", fromSupplier))), store(stored));
        } finally {
            scope.close();
            request.end();
        }

        assertThat(contextOf(stored.get(0).get(0).message().headers()).getSpanId())
                .isEqualTo(span("create " + TOPIC).getSpanId());
    }

    @Test
    void aFailedAppendEndsItsCreateSpansWithTheError() {
        StoreException down = new StoreException("database down", null);
        assertThatThrownBy(() -> tracing.appendInterceptor()
                        .intercept(List.of(new NewMessage(1, message("a", Map.of()))), messages -> {
                            throw down;
                        }))
                .isSameAs(down);

        assertThat(span("create " + TOPIC))
                .hasNoParent()
                .hasStatusSatisfying(s -> s.hasCode(StatusCode.ERROR).hasDescription("database down"))
                .hasAttribute(TracingAttributes.ERROR_TYPE, StoreException.class.getName())
                .hasException(down)
                .hasEnded();
    }

    @Test
    void withTracingOffTheMessagesPassUntouched() {
        OutboxTracing off = OutboxTracing.create(OpenTelemetry.noop());
        NewMessage m = new NewMessage(1, message("a", Map.of()));
        List<List<NewMessage>> stored = new ArrayList<>();

        off.appendInterceptor().intercept(List.of(m), store(stored));

        assertThat(stored.get(0).get(0)).isSameAs(m);
        assertThat(off.contextHeaders().get()).isEmpty();
    }

    @Test
    void contextHeadersCarryTheCurrentContextAndBaggageOnlyWhenAskedFor() {
        OutboxTracing withBaggage = OutboxTracing.builder()
                .openTelemetry(otel.getOpenTelemetry())
                .baggage(true)
                .build();
        assertThat(tracing.contextHeaders().get()).as("no current span").isEmpty();

        Span request = tracer.spanBuilder("request").startSpan();
        Scope scope = Context.current()
                .with(request)
                .with(Baggage.builder().put("tenant", "t1").build())
                .makeCurrent();
        try {
            assertThat(tracing.contextHeaders().get()).containsOnlyKeys("traceparent");
            assertThat(withBaggage.contextHeaders().get())
                    .containsKeys("traceparent")
                    .containsEntry("baggage", "tenant=t1");
        } finally {
            scope.close();
            request.end();
        }
    }

    // --- publish -----------------------------------------------------------------------------------------------

    @Test
    void eachPublishedMessageGetsASpanInItsCreatorsTraceLinkedToItsCreationContext() {
        Span creator = tracer.spanBuilder("create").startSpan();
        creator.end();
        Map<String, String> headers = new java.util.HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(creator), headers, Headers.INSTANCE);
        RecordingBroker recording = new RecordingBroker();
        Broker broker = tracing.broker(recording);

        List<CompletableFuture<Void>> futures = broker.publish(List.of(outgoing(7, headers, 3)));

        assertThat(futures).hasSize(1).allSatisfy(f -> assertThat(f).isCompleted());
        assertThat(recording.published())
                .extracting(m -> m.envelope().headers())
                .containsExactly(headers);
        assertThat(span("publish " + TOPIC))
                .hasParent(span("create"))
                .hasKind(SpanKind.CLIENT)
                .hasLinksSatisfying(links -> assertThat(links).singleElement().satisfies(l -> assertThat(
                                l.getSpanContext().getSpanId())
                        .isEqualTo(creator.getSpanContext().getSpanId())))
                .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, "unknown")
                .hasAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, TOPIC)
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "send")
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_NAME, "publish")
                .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_ID, "7")
                .hasAttribute(TracingAttributes.SOURCE, "warehouse")
                .hasAttribute(TracingAttributes.LANE, 5L)
                .hasAttribute(TracingAttributes.ATTEMPT, 3L)
                .hasStatus(io.opentelemetry.sdk.trace.data.StatusData.unset())
                .hasEnded();
    }

    @Test
    void aMessageStoredWithoutContextStartsATraceWhoseContextTheConsumerContinues() {
        RecordingBroker recording = new RecordingBroker();
        Broker broker = tracing.broker(recording);
        AtomicReference<SpanContext> inHandler = new AtomicReference<>();
        broker.subscribe(
                SubscriptionSpec.builder("view").patterns("Warehouse.Events.#").build(),
                m -> inHandler.set(Span.current().getSpanContext()));

        broker.publish(List.of(outgoing(8, Map.of(), 1)));

        SpanData publish = span("publish " + TOPIC);
        assertThat(publish).hasNoParent().hasKind(SpanKind.PRODUCER).hasTotalRecordedLinks(0);
        assertThat(contextOf(recording.published().get(0).envelope().headers()).getSpanId())
                .isEqualTo(publish.getSpanId());
        SpanData process = span("process " + TOPIC);
        assertThat(process).hasParent(publish);
        assertThat(inHandler.get().getSpanId()).isEqualTo(process.getSpanId());
    }

    @Test
    void aFailedPublishEndsItsSpanWithTheErrorAndWhetherItIsRetried() {
        RecordingBroker recording = new RecordingBroker()
                .failWhen(m -> Optional.of(
                        m.envelope().messageId().value() == 1
                                ? new RetriableException("timed out")
                                : new FatalException("too large")));
        Broker broker = tracing.broker(recording);

        broker.publish(List.of(outgoing(1, Map.of(), 1)));
        broker.publish(List.of(outgoing(2, Map.of(), 10)));

        List<SpanData> spans = otel.getSpans();
        assertThat(spans).hasSize(2);
        assertThat(spans.get(0))
                .hasStatusSatisfying(s -> s.hasCode(StatusCode.ERROR).hasDescription("timed out"))
                .hasAttribute(TracingAttributes.ERROR_TYPE, RetriableException.class.getName())
                .hasAttribute(TracingAttributes.ERROR_RETRIABLE, true)
                .hasAttribute(TracingAttributes.ATTEMPT, 1L);
        assertThat(spans.get(1))
                .hasStatusSatisfying(s -> s.hasCode(StatusCode.ERROR).hasDescription("too large"))
                .hasAttribute(TracingAttributes.ERROR_TYPE, FatalException.class.getName())
                .hasAttribute(TracingAttributes.ERROR_RETRIABLE, false)
                .hasAttribute(TracingAttributes.ATTEMPT, 10L);
    }

    @Test
    void aBrokerThatThrowsEndsEverySpanOfTheBatch() {
        RecordingBroker recording = new RecordingBroker();
        recording.close();
        Broker broker = tracing.broker(recording);

        assertThatThrownBy(() -> broker.publish(List.of(outgoing(1, Map.of(), 1), outgoing(2, Map.of(), 1))))
                .isInstanceOf(IllegalStateException.class);

        assertThat(otel.getSpans()).hasSize(2).allSatisfy(s -> assertThat(s)
                .hasEnded()
                .hasAttribute(TracingAttributes.ERROR_RETRIABLE, true)
                .hasStatusSatisfying(st -> st.hasCode(StatusCode.ERROR)));
    }

    @Test
    void aSpanEndsWhenItsMessageIsAcknowledgedNotWhenPublishReturns() {
        CompletableFuture<Void> ack = new CompletableFuture<>();
        Broker slow = tracing.broker(new Broker() {
            @Override
            public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
                return List.of(ack);
            }

            @Override
            public dev.outbox.Subscription subscribe(SubscriptionSpec spec, dev.outbox.MessageHandler handler) {
                throw new UnsupportedOperationException();
            }

            @Override
            public String messagingSystem() {
                return "rabbitmq";
            }

            @Override
            public void close() {}
        });

        assertThat(slow.publish(List.of(outgoing(1, Map.of(), 1)))).containsExactly(ack);
        assertThat(slow.messagingSystem()).isEqualTo("rabbitmq");
        assertThat(otel.getSpans()).as("not ended yet").isEmpty();
        ack.complete(null);
        assertThat(span("publish " + TOPIC)).hasAttribute(TracingAttributes.MESSAGING_SYSTEM, "rabbitmq");
    }

    // --- process -----------------------------------------------------------------------------------------------

    @Test
    void aHandlerRunsInAProcessSpanThatContinuesTheCreationContext() {
        OutboxTracing withBaggage = OutboxTracing.builder()
                .openTelemetry(otel.getOpenTelemetry())
                .baggage(true)
                .build();
        Span creator = tracer.spanBuilder("create").startSpan();
        Map<String, String> headers;
        Scope scope = Context.current()
                .with(creator)
                .with(Baggage.builder().put("tenant", "t1").build())
                .makeCurrent();
        try {
            headers = withBaggage.contextHeaders().get();
        } finally {
            scope.close();
            creator.end();
        }
        RecordingBroker recording = new RecordingBroker();
        Broker broker = withBaggage.broker(recording);
        AtomicReference<String> tenant = new AtomicReference<>();
        SubscriptionSpec spec =
                SubscriptionSpec.builder("view").patterns("Warehouse.Events.#").build();
        broker.subscribe(spec, m -> tenant.set(Baggage.current().getEntryValue("tenant")));

        recording.publish(List.of(outgoing(9, headers, 1)));

        assertThat(tenant.get())
                .as("the handler runs with the message's baggage")
                .isEqualTo("t1");
        assertThat(span("process " + TOPIC))
                .hasParent(span("create"))
                .hasKind(SpanKind.CONSUMER)
                .hasLinksSatisfying(links -> assertThat(links).singleElement().satisfies(l -> assertThat(
                                l.getSpanContext().getSpanId())
                        .isEqualTo(creator.getSpanContext().getSpanId())))
                .hasAttribute(TracingAttributes.MESSAGING_SYSTEM, "unknown")
                .hasAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, TOPIC)
                .hasAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "process")
                .hasAttribute(TracingAttributes.MESSAGING_MESSAGE_ID, "9")
                .hasAttribute(TracingAttributes.SOURCE, "warehouse")
                .hasAttribute(TracingAttributes.SUBSCRIPTION, "view")
                .hasAttribute(TracingAttributes.DELIVERY_ATTEMPT, 1L)
                .hasEnded();
    }

    @Test
    void aFailingHandlerEndsItsSpanWithTheErrorAndWhetherItIsDeadLettered() {
        SubscriptionSpec spec = SubscriptionSpec.builder("view")
                .patterns("Warehouse.Events.#")
                .maxAttempts(3)
                .build();
        RecordingBroker recording = new RecordingBroker();
        List<dev.outbox.MessageHandler> traced = new ArrayList<>();
        Broker capturing = new Broker() {
            @Override
            public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
                return recording.publish(messages);
            }

            @Override
            public dev.outbox.Subscription subscribe(SubscriptionSpec s, dev.outbox.MessageHandler handler) {
                traced.add(handler);
                return recording.subscribe(s, handler);
            }

            @Override
            public void close() {}
        };
        tracing.broker(capturing).subscribe(spec, m -> {
            throw m.deliveryAttempt() == 1 ? new IllegalArgumentException("bad sku") : new FatalException("poison");
        });
        OutgoingMessage m = outgoing(4, Map.of(), 1);

        assertThatThrownBy(() -> traced.get(0).handle(new IncomingMessage(m.envelope(), m.payload(), 1)))
                .hasMessage("bad sku");
        assertThatThrownBy(() -> traced.get(0).handle(new IncomingMessage(m.envelope(), m.payload(), 2)))
                .hasMessage("poison");

        List<SpanData> spans = otel.getSpans();
        assertThat(spans.get(0))
                .hasStatusSatisfying(s -> s.hasCode(StatusCode.ERROR).hasDescription("bad sku"))
                .hasAttribute(TracingAttributes.ERROR_TYPE, IllegalArgumentException.class.getName())
                .hasAttribute(TracingAttributes.DEAD_LETTERED, false);
        assertThat(spans.get(1))
                .hasAttribute(TracingAttributes.DELIVERY_ATTEMPT, 2L)
                .hasAttribute(TracingAttributes.DEAD_LETTERED, true);
    }

    @Test
    void theDedupListenerMarksTheCurrentProcessSpan() {
        Span process = tracer.spanBuilder("process").startSpan();
        OutgoingMessage m = outgoing(4, Map.of(), 1);
        IncomingMessage in = new IncomingMessage(m.envelope(), m.payload(), 1);
        Scope scope = process.makeCurrent();
        try {
            TracingDedupListener.create().skipped("view", in);
        } finally {
            scope.close();
            process.end();
        }
        Span first = tracer.spanBuilder("first").startSpan();
        Scope firstScope = first.makeCurrent();
        try {
            TracingDedupListener.create().processed("view", in, java.time.Duration.ofMillis(3));
        } finally {
            firstScope.close();
            first.end();
        }

        assertThat(span("process"))
                .hasAttribute(TracingAttributes.DUPLICATE, true)
                .hasAttribute(TracingAttributes.DEDUP_CONSUMER, "view")
                .hasEventsSatisfyingExactly(e -> e.hasName("duplicate skipped"));
        assertThat(span("first")).hasAttribute(TracingAttributes.DUPLICATE, false);
    }

    // --- configuration -----------------------------------------------------------------------------------------

    @Test
    void settingsAreCheckedAtBuild() {
        assertThatThrownBy(() -> OutboxTracing.create(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("openTelemetry");
        assertThatThrownBy(() -> OutboxTracing.builder()
                        .openTelemetry(OpenTelemetry.noop())
                        .messagingSystem(" ")
                        .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("messagingSystem");
        assertThatThrownBy(() -> tracing.broker(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("broker");
    }
}
