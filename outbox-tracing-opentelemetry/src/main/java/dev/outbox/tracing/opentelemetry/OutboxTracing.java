package dev.outbox.tracing.opentelemetry;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Map;
import java.util.function.Supplier;

/**
 * OpenTelemetry tracing of the outbox, following the messaging semantic conventions: a {@code create} span per
 * appended message, a {@code publish} span per message the relay hands to the broker, and a {@code process} span
 * around each consumer's handler. The message carries its creation context in its W3C {@code traceparent} and {@code
 * tracestate} headers (and {@code baggage} if enabled) from the appending transaction to the consumer, so one trace
 * runs from the request that appended it to whatever its consumers do, a message they append in turn included.
 *
 * <pre>{@code
 * OutboxTracing tracing = OutboxTracing.builder().openTelemetry(openTelemetry).messagingSystem("kafka").build();
 * Outbox outbox = Outbox.builder().store(store).serializer(serializer)
 *         .interceptor(tracing.appendInterceptor())           // create spans, their context stored with the message
 *         .build();
 * Broker broker = tracing.broker(KafkaBroker.create(settings)); // publish spans; process spans for subscribe(...)
 * Relay relay = Relay.builder().store(store).broker(broker).source("warehouse").build();
 * broker.subscribe(spec, dedup.wrap(handler));                  // each handling in a process span
 * }</pre>
 *
 * <p>How the spans relate:
 *
 * <ul>
 *   <li><b>create</b> (kind {@code PRODUCER}): a child of the caller's current span, one per message, around the
 *       store's insert in the caller's transaction. Its context is the message's creation context, written into the
 *       message's headers. A message that already carries a {@code traceparent} of its own (given with {@code
 *       Appender.withHeaders}, say) keeps it and gets no create span, as the conventions ask. A rolled-back
 *       transaction leaves its create spans but no message, so nothing is published for them.
 *   <li><b>publish</b>: one per message and attempt, a child of the message's creation context and linked to it, from
 *       the relay's hand-over to the broker's acknowledgement (or failure, recorded with the error). Its kind is
 *       {@code CLIENT}; for a message stored without a creation context it is the root of a new trace, of kind {@code
 *       PRODUCER}, and its own context is sent as the creation context instead.
 *   <li><b>process</b> (kind {@code CONSUMER}): a child of the creation context and linked to it, around the handler
 *       given to {@link Broker#subscribe} of a broker returned by {@link #broker}, whatever that handler is (a plain
 *       one, the dedup module's, a metrics wrapper). It is the current span while the handler runs, so a message the
 *       handler appends is created in it. With {@link TracingDedupListener} on the deduplicator, a skipped duplicate
 *       is marked {@code outbox.dedup.duplicate=true}.
 * </ul>
 *
 * Why a publish span per message and not one per relay batch: a batch of up to {@code batchSize} messages (1000 by
 * default) mixes messages of unrelated traces, so a batch span would be a root of its own, reachable from the request
 * traces only through links, and more links than the SDK keeps on one span by default (128). A span per message,
 * parented to the creation context, puts the relay's hand-over, the wait for the acknowledgement and each retry into
 * the trace of the request that appended the message, and sampling decided there (the SDK's default parent-based
 * sampler) leaves the spans of unsampled traces unrecorded, at almost no cost. The conventions allow either shape.
 *
 * <p>The attributes are listed in {@link TracingAttributes}. Instances are thread-safe and hold no resources.
 */
public interface OutboxTracing {

    /**
     * Tracing through {@code openTelemetry} with the default settings.
     *
     * @throws InvalidConfigurationException if {@code openTelemetry} is null
     */
    static OutboxTracing create(OpenTelemetry openTelemetry) {
        if (openTelemetry == null) {
            throw new InvalidConfigurationException("openTelemetry must not be null");
        }
        return builder().openTelemetry(openTelemetry).build();
    }

    /** A builder. */
    static Builder builder() {
        return new Builder();
    }

    /**
     * For {@code Outbox.builder().interceptor(...)}: a {@code create} span per appended message, in the caller's
     * trace, whose context the message carries in its headers. Enough on its own: there is no need for {@link
     * #contextHeaders()} as well.
     */
    AppendInterceptor appendInterceptor();

    /**
     * For {@code Outbox.builder().contextHeaders(...)}, when appends should carry the caller's trace context without
     * a span of their own: the W3C {@code traceparent} and {@code tracestate} of the current context (and its {@code
     * baggage} if enabled), or no header when there is no valid current span.
     */
    Supplier<Map<String, String>> contextHeaders();

    /**
     * {@code broker}, traced: {@link Broker#publish} records a {@code publish} span per message, and handlers given to
     * {@link Broker#subscribe} run in a {@code process} span each. Everything else is passed through, {@code close()}
     * included. The relay should publish through the returned broker; one call switches tracing on for it.
     *
     * @throws InvalidConfigurationException if {@code broker} is null
     */
    Broker broker(Broker broker);

    /** Builds {@link OutboxTracing}. Not thread-safe. */
    final class Builder {
        /** Default {@code messaging.system} of append spans: {@value}. */
        public static final String DEFAULT_MESSAGING_SYSTEM = "outbox";

        private OpenTelemetry openTelemetry;
        private boolean baggage;
        private String messagingSystem = DEFAULT_MESSAGING_SYSTEM;

        private Builder() {}

        /**
         * Where spans go and what samples them. Default: the global instance ({@link GlobalOpenTelemetry}), looked up
         * once the application or the Java agent has registered it; nothing is recorded before that, and this module
         * never registers or fixes a global instance itself.
         */
        public Builder openTelemetry(OpenTelemetry openTelemetry) {
            this.openTelemetry = openTelemetry;
            return this;
        }

        /**
         * Whether messages also carry the W3C {@code baggage} of the appending context, and consumers' handlers run
         * with it as their current baggage. Default false: baggage often holds values meant to stay inside one
         * service, and a message may outlive the request by days.
         */
        public Builder baggage(boolean baggage) {
            this.baggage = baggage;
            return this;
        }

        /**
         * The {@code messaging.system} of append spans: the system the relay publishes to ({@code kafka}, {@code
         * rabbitmq}). The relay's and the consumers' spans take theirs from the broker ({@link
         * Broker#messagingSystem()}). Default {@value #DEFAULT_MESSAGING_SYSTEM}; the Guice module sets it from the
         * bound broker.
         */
        public Builder messagingSystem(String messagingSystem) {
            this.messagingSystem = messagingSystem;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting */
        public OutboxTracing build() {
            if (messagingSystem == null || messagingSystem.isBlank()) {
                throw new InvalidConfigurationException(
                        "messagingSystem must not be blank, was " + (messagingSystem == null ? "null" : "blank"));
            }
            return new DefaultOutboxTracing(openTelemetry, baggage, messagingSystem);
        }
    }
}
