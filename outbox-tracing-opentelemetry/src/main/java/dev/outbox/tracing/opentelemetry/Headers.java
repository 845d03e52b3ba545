package dev.outbox.tracing.opentelemetry;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Map;

/** Reads and writes trace context in message headers (plain string maps). */
final class Headers implements TextMapGetter<Map<String, String>>, TextMapSetter<Map<String, String>> {
    static final Headers INSTANCE = new Headers();

    /** The W3C header that carries the trace and span ids. */
    static final String TRACEPARENT = "traceparent";

    private Headers() {}

    @Override
    public String get(Map<String, String> carrier, String key) {
        return carrier == null ? null : carrier.get(key);
    }

    @Override
    public void set(Map<String, String> carrier, String key, String value) {
        if (carrier != null) {
            carrier.put(key, value);
        }
    }
}
