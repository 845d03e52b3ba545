package org.apache.kafka.common.utils;

/**
 * Where Kafka 4.3 had its name sanitizer, for Debezium 3.6 (built against Kafka 4.3), which names its JMX metrics
 * with it: Kafka 4.4, whose clients the relay uses, moved the class to {@code utils.internals}. Present only in the
 * benchmarks, which run Debezium as a peer; it passes every call on.
 */
public final class Sanitizer {
    private Sanitizer() {}

    /** As {@code org.apache.kafka.common.utils.internals.Sanitizer#sanitize}. */
    public static String sanitize(String name) {
        return org.apache.kafka.common.utils.internals.Sanitizer.sanitize(name);
    }

    /** As {@code org.apache.kafka.common.utils.internals.Sanitizer#desanitize}. */
    public static String desanitize(String name) {
        return org.apache.kafka.common.utils.internals.Sanitizer.desanitize(name);
    }

    /** As {@code org.apache.kafka.common.utils.internals.Sanitizer#jmxSanitize}. */
    public static String jmxSanitize(String name) {
        return org.apache.kafka.common.utils.internals.Sanitizer.jmxSanitize(name);
    }
}
