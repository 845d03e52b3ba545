package dev.outbox.tracing.opentelemetry;

import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import dev.outbox.SubscriptionSpec;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.function.Supplier;

/**
 * Runs a handler in a {@code process} span that continues the message's creation context, and makes that span (and
 * the message's baggage, when carried) current while the handler runs.
 */
final class TracingHandler implements MessageHandler {
    private final MessageHandler handler;
    private final SubscriptionSpec spec;
    private final String system;
    private final Supplier<Tracer> tracer;
    private final TextMapPropagator propagator;

    TracingHandler(
            MessageHandler handler,
            SubscriptionSpec spec,
            String system,
            Supplier<Tracer> tracer,
            TextMapPropagator propagator) {
        this.handler = handler;
        this.spec = spec;
        this.system = system;
        this.tracer = tracer;
        this.propagator = propagator;
    }

    @Override
    public void handle(IncomingMessage message) {
        Envelope e = message.envelope();
        Context extracted = propagator.extract(Context.current(), e.headers(), Headers.INSTANCE);
        SpanContext creation = Span.fromContext(extracted).getSpanContext();
        SpanBuilder builder = tracer.get()
                .spanBuilder("process " + e.topic())
                .setParent(extracted)
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(TracingAttributes.MESSAGING_SYSTEM, system)
                .setAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, e.topic())
                .setAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "process");
        if (creation.isRemote()) {
            builder.addLink(creation);
        }
        Span span = builder.startSpan();
        if (span.isRecording()) {
            span.setAttribute(TracingAttributes.MESSAGING_OPERATION_NAME, "process");
            span.setAttribute(
                    TracingAttributes.MESSAGING_MESSAGE_ID, e.messageId().toString());
            span.setAttribute(TracingAttributes.MESSAGING_MESSAGE_BODY_SIZE, (long) message.payload().length);
            span.setAttribute(TracingAttributes.MESSAGE_TYPE, e.type());
            span.setAttribute(TracingAttributes.SOURCE, e.source());
            span.setAttribute(TracingAttributes.SUBSCRIPTION, spec.name());
            span.setAttribute(TracingAttributes.DELIVERY_ATTEMPT, (long) message.deliveryAttempt());
            if ("kafka".equals(system)) {
                span.setAttribute(TracingAttributes.MESSAGING_CONSUMER_GROUP_NAME, spec.name());
            }
        }
        Scope scope = extracted.with(span).makeCurrent();
        try {
            handler.handle(message);
        } catch (RuntimeException | Error error) {
            Spans.fail(span, error);
            if (span.isRecording()) {
                span.setAttribute(
                        TracingAttributes.DEAD_LETTERED,
                        error instanceof FatalException || message.deliveryAttempt() >= spec.maxAttempts());
            }
            throw error;
        } finally {
            scope.close();
            span.end();
        }
    }

    @Override
    public String toString() {
        return "traced(" + spec.name() + ", " + handler + ")";
    }
}
