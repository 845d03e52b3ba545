package dev.outbox.tracing.opentelemetry;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.util.function.Supplier;

/**
 * The tracer of the global {@link OpenTelemetry}, looked up once the application (or the Java agent) has registered
 * it, and a no-op one until then. It never calls {@link GlobalOpenTelemetry#get()} before that: the first such call
 * fixes the global to a no-op instance, and the application's own registration afterwards fails.
 */
final class GlobalTracer implements Supplier<Tracer> {
    private static final Tracer NOOP = OpenTelemetry.noop().getTracer(DefaultOutboxTracing.INSTRUMENTATION);

    private volatile Tracer tracer;

    @Override
    public Tracer get() {
        Tracer t = tracer;
        if (t != null) {
            return t;
        }
        if (!GlobalOpenTelemetry.isSet()) {
            return NOOP;
        }
        t = GlobalOpenTelemetry.get().getTracer(DefaultOutboxTracing.INSTRUMENTATION);
        tracer = t;
        return t;
    }
}
