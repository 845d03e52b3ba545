package dev.outbox.broker.kafka.internal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** The envelope's string headers as Kafka record headers (UTF-8 values) and back. */
public final class WireHeaders {
    private WireHeaders() {}

    /** Record headers holding {@code headers}, in their order. */
    public static RecordHeaders toKafka(Map<String, String> headers) {
        RecordHeaders h = new RecordHeaders();
        headers.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return h;
    }

    /** The headers as strings; a header without a value is left out, and of repeated names the last one counts. */
    public static Map<String, String> fromKafka(Headers headers) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Header h : headers) {
            if (h.value() != null) {
                m.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        return m;
    }
}
