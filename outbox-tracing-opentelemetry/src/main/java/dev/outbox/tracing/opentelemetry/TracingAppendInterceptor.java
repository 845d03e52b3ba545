package dev.outbox.tracing.opentelemetry;

import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.NewMessage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** A {@code create} span per appended message, whose context the message stores as its creation context. */
final class TracingAppendInterceptor implements AppendInterceptor {
    private final Supplier<Tracer> tracer;
    private final TextMapPropagator propagator;
    private final String messagingSystem;

    TracingAppendInterceptor(Supplier<Tracer> tracer, TextMapPropagator propagator, String messagingSystem) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.messagingSystem = messagingSystem;
    }

    @Override
    public List<MessageId> intercept(List<NewMessage> messages, Next next) {
        Context parent = Context.current();
        SpanContext current = Span.fromContext(parent).getSpanContext();
        int n = messages.size();
        Span[] spans = new Span[n];
        List<NewMessage> passed = new ArrayList<>(n);
        int created = 0;
        for (int i = 0; i < n; i++) {
            NewMessage m = messages.get(i);
            if (carriesOwnContext(m.message().headers(), current)) {
                passed.add(m);
                continue;
            }
            Span span = start(m, parent);
            spans[i] = span;
            created++;
            passed.add(withContext(m, parent.with(span)));
        }
        List<MessageId> ids;
        // With one span, the insert happens in it, so that a JDBC instrumentation's spans nest under it.
        Scope scope = created == 1 ? parent.with(only(spans)).makeCurrent() : Scope.noop();
        try {
            ids = next.append(passed);
        } catch (RuntimeException | Error e) {
            for (Span span : spans) {
                if (span != null) {
                    Spans.fail(span, e);
                    span.end();
                }
            }
            throw e;
        } finally {
            scope.close();
        }
        for (int i = 0; i < n; i++) {
            if (spans[i] != null) {
                if (i < ids.size()) {
                    spans[i].setAttribute(
                            TracingAttributes.MESSAGING_MESSAGE_ID, ids.get(i).toString());
                }
                spans[i].end();
            }
        }
        return ids;
    }

    /**
     * Whether the message carries a creation context its appender chose (the conventions say to keep it and create no
     * span). A {@code traceparent} naming the current span is not such a choice: it is what {@code contextHeaders}
     * writes, and the create span replaces it.
     */
    private boolean carriesOwnContext(Map<String, String> headers, SpanContext current) {
        if (!headers.containsKey(Headers.TRACEPARENT)) {
            return false;
        }
        SpanContext given = Span.fromContext(propagator.extract(Context.root(), headers, Headers.INSTANCE))
                .getSpanContext();
        if (!given.isValid()) {
            return false;
        }
        return !(given.getTraceId().equals(current.getTraceId())
                && given.getSpanId().equals(current.getSpanId()));
    }

    private Span start(NewMessage m, Context parent) {
        Message message = m.message();
        Span span = tracer.get()
                .spanBuilder("create " + message.topic())
                .setParent(parent)
                .setSpanKind(SpanKind.PRODUCER)
                .setAttribute(TracingAttributes.MESSAGING_SYSTEM, messagingSystem)
                .setAttribute(TracingAttributes.MESSAGING_DESTINATION_NAME, message.topic())
                .setAttribute(TracingAttributes.MESSAGING_OPERATION_TYPE, "create")
                .startSpan();
        if (span.isRecording()) {
            span.setAttribute(TracingAttributes.MESSAGING_OPERATION_NAME, "create");
            span.setAttribute(TracingAttributes.MESSAGING_MESSAGE_BODY_SIZE, (long) message.payloadSize());
            span.setAttribute(TracingAttributes.MESSAGE_TYPE, message.type());
            span.setAttribute(TracingAttributes.LANE, (long) m.lane());
        }
        return span;
    }

    private NewMessage withContext(NewMessage m, Context context) {
        Message message = m.message();
        Map<String, String> headers = new LinkedHashMap<>(message.headers());
        propagator.inject(context, headers, Headers.INSTANCE);
        if (headers.equals(message.headers())) {
            return m; // nothing to carry: tracing is off (a no-op OpenTelemetry) or the span is invalid
        }
        return new NewMessage(
                m.lane(),
                new Message(
                        message.topic(),
                        message.key(),
                        message.type(),
                        message.contentType(),
                        message.payload(),
                        headers));
    }

    private static Span only(Span[] spans) {
        for (Span s : spans) {
            if (s != null) {
                return s;
            }
        }
        throw new IllegalStateException("no span");
    }

    @Override
    public String toString() {
        return "TracingAppendInterceptor[" + messagingSystem + "]";
    }
}
