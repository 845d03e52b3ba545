package dev.outbox.tracing.opentelemetry;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The tracer and the propagator shared by the decorators. The messages' headers are W3C trace context whatever
 * propagators the application configured: they are a wire contract between producers and consumers that may be
 * configured differently.
 */
final class DefaultOutboxTracing implements OutboxTracing {
    /** The instrumentation scope of every span. */
    static final String INSTRUMENTATION = "dev.outbox.tracing.opentelemetry";

    private final Supplier<Tracer> tracer;
    private final TextMapPropagator propagator;
    private final boolean baggage;
    private final String messagingSystem;
    private final AppendInterceptor appendInterceptor;

    /** @param openTelemetry the instance to trace with, or null for the global one, once registered */
    DefaultOutboxTracing(OpenTelemetry openTelemetry, boolean baggage, String messagingSystem) {
        if (openTelemetry == null) {
            this.tracer = new GlobalTracer();
        } else {
            Tracer given = openTelemetry.getTracer(INSTRUMENTATION);
            this.tracer = () -> given;
        }
        this.baggage = baggage;
        this.propagator = baggage
                ? TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())
                : W3CTraceContextPropagator.getInstance();
        this.messagingSystem = messagingSystem;
        this.appendInterceptor = new TracingAppendInterceptor(tracer, propagator, messagingSystem);
    }

    @Override
    public AppendInterceptor appendInterceptor() {
        return appendInterceptor;
    }

    @Override
    public Supplier<Map<String, String>> contextHeaders() {
        return () -> {
            Map<String, String> carrier = new HashMap<>(4);
            propagator.inject(Context.current(), carrier, Headers.INSTANCE);
            return carrier;
        };
    }

    @Override
    public Broker broker(Broker broker) {
        if (broker == null) {
            throw new InvalidConfigurationException("broker must not be null");
        }
        return new TracingBroker(broker, tracer, propagator);
    }

    @Override
    public String toString() {
        return "OutboxTracing[messagingSystem=" + messagingSystem + ", baggage=" + baggage + "]";
    }
}
