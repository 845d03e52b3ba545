package dev.outbox.tracing.opentelemetry;

import dev.outbox.Envelope;
import dev.outbox.MessageHandler;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import dev.outbox.spi.ForwardingBroker;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link Broker} that records a {@code publish} span per message handed to another, ended when that message's future
 * completes, and wraps subscribers' handlers in {@code process} spans.
 */
final class TracingBroker extends ForwardingBroker {
    private final Broker delegate;
    private final Supplier<Tracer> tracer;
    private final TextMapPropagator propagator;
    private final String system;

    TracingBroker(Broker delegate, Supplier<Tracer> tracer, TextMapPropagator propagator) {
        super(delegate);
        this.delegate = delegate;
        this.tracer = tracer;
        this.propagator = propagator;
        this.system = delegate.messagingSystem();
    }

    @Override
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        int n = messages.size();
        Span[] spans = new Span[n];
        List<OutgoingMessage> passed = null; // a copy only once a message is rewritten
        for (int i = 0; i < n; i++) {
            OutgoingMessage m = messages.get(i);
            Map<String, String> headers = m.envelope().headers();
            SpanContext creation = Span.fromContext(propagator.extract(Context.root(), headers, Headers.INSTANCE))
                    .getSpanContext();
            Span span = start(m, creation);
            spans[i] = span;
            if (!creation.isValid() && span.getSpanContext().isValid()) {
                // No creation context was stored: this span's becomes the message's, so consumers continue its trace.
                if (passed == null) {
                    passed = new ArrayList<>(messages.subList(0, i));
                }
                passed.add(withContext(m, span));
            } else if (passed != null) {
                passed.add(m);
            }
        }
        List<CompletableFuture<Void>> futures;
        try {
            futures = delegate.publish(passed == null ? messages : passed);
        } catch (RuntimeException | Error e) {
            for (Span span : spans) {
                failed(span, e);
            }
            throw e;
        }
        for (int i = 0; i < n; i++) {
            Span span = spans[i];
            if (futures == null || i >= futures.size()) {
                failed(span, new IllegalStateException("the broker returned no future for this message"));
                continue;
            }
            futures.get(i).whenComplete((ok, error) -> {
                if (error == null) {
                    span.end();
                } else {
                    failed(span, error);
                }
            });
        }
        return futures;
    }

    private Span start(OutgoingMessage m, SpanContext creation) {
        Envelope e = m.envelope();
        SpanBuilder builder = tracer.get()
                .spanBuilder("publish " + e.topic())
                .setAttribute(TracingAttributes.MESSAGING_SYSTEM, system)
                .setAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, e.topic())
                .setAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "send");
        if (creation.isValid()) {
            builder.setParent(Context.root().with(Span.wrap(creation)))
                    .addLink(creation)
                    .setSpanKind(SpanKind.CLIENT);
        } else {
            builder.setNoParent().setSpanKind(SpanKind.PRODUCER);
        }
        Span span = builder.startSpan();
        if (span.isRecording()) {
            span.setAttribute(TracingAttributes.MESSAGING_OPERATION_NAME, "publish");
            span.setAttribute(
                    TracingAttributes.MESSAGING_MESSAGE_ID, e.messageId().toString());
            span.setAttribute(TracingAttributes.MESSAGING_MESSAGE_BODY_SIZE, (long) m.payload().length);
            span.setAttribute(TracingAttributes.MESSAGE_TYPE, e.type());
            span.setAttribute(TracingAttributes.SOURCE, e.source());
            span.setAttribute(TracingAttributes.LANE, (long) m.lane());
            span.setAttribute(TracingAttributes.ATTEMPT, (long) m.attempt());
        }
        return span;
    }

    private OutgoingMessage withContext(OutgoingMessage m, Span span) {
        Envelope e = m.envelope();
        Map<String, String> headers = new LinkedHashMap<>(e.headers());
        // Only the span's context: the relay's thread has no baggage of the producer's to pass on.
        propagator.inject(Context.root().with(span), headers, Headers.INSTANCE);
        Envelope traced = new Envelope(
                e.messageId(), e.source(), e.topic(), e.key(), e.type(), e.contentType(), e.createdAt(), headers);
        return new OutgoingMessage(traced, m.payload(), m.lane(), m.attempt());
    }

    private static void failed(Span span, Throwable error) {
        Spans.fail(span, error);
        if (span.isRecording()) {
            Throwable e = Spans.unwrap(error);
            // The Broker contract: anything but an OutboxException counts as retriable.
            span.setAttribute(TracingAttributes.ERROR_RETRIABLE, !(e instanceof OutboxException o) || o.isRetriable());
        }
        span.end();
    }

    @Override
    public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        return delegate.subscribe(spec, new TracingHandler(handler, spec, system, tracer, propagator));
    }

    @Override
    public String messagingSystem() {
        return system;
    }

    @Override
    public String toString() {
        return "TracingBroker[" + delegate + "]";
    }
}
