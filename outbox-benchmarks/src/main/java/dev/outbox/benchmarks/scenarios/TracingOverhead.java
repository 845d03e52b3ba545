package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Side;
import dev.outbox.benchmarks.harness.Figure;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import dev.outbox.tracing.opentelemetry.OutboxTracing;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * tracing: the relay's throughput to Kafka with OpenTelemetry tracing on against the same relay with it off, same run.
 * On means the real SDK: every publish span sampled, ended and handed to a batch processor whose exporter drops it, so
 * what is measured is the cost inside the relay's process, not a collector's.
 */
final class TracingOverhead implements Scenario<Env> {

    @Override
    public String name() {
        return "tracing";
    }

    @Override
    public String description() {
        return "relay throughput to kafka with OpenTelemetry tracing on (SDK, all spans sampled) vs off";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        Side kafka = env.side("kafka");
        long n = s.backlog();
        Figure f = env.report()
                .figure(
                        name(),
                        "relay-kafka throughput with tracing on, backlog " + n,
                        "msg/s",
                        "tracing off",
                        Target.ratioAtLeast(0.9));
        Discard exporter = new Discard();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
                .build();
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build()) {
            OutboxTracing tracing = OutboxTracing.create(sdk);
            if (rep == 0 && !s.quick()) {
                double on = pass(env, kafka, n, tracing::broker);
                double off = pass(env, kafka, n, UnaryOperator.identity());
                Log.info("%s untimed warm-up pass: on %.0f msg/s, off %.0f msg/s", name(), on, off);
            }
            // Alternate which goes first, so neither always meets a fuller broker.
            double on;
            double off;
            if (rep % 2 == 0) {
                on = pass(env, kafka, n, tracing::broker);
                off = pass(env, kafka, n, UnaryOperator.identity());
            } else {
                off = pass(env, kafka, n, UnaryOperator.identity());
                on = pass(env, kafka, n, tracing::broker);
            }
            provider.forceFlush().join(10, TimeUnit.SECONDS);
            f.add(on, off);
            Log.info(
                    "%s rep %d: tracing on %.0f msg/s, off %.0f msg/s, ratio %.2f; %d spans exported",
                    name(), rep + 1, on, off, on / off, exporter.spans.get());
        }
    }

    /** Drains a backlog of {@code n} with a relay publishing through {@code decorate}; returns its rate. */
    private static double pass(Env env, Side kafka, long n, UnaryOperator<dev.outbox.spi.Broker> decorate)
            throws Exception {
        Settings s = env.settings();
        String dest = kafka.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        try (OutboxTable table = OutboxTable.create(env, s.lanes())) {
            return RelayThroughput.relay(env, kafka, dest, table, m, n, s.batchSize(), decorate)
                    .rate();
        } finally {
            kafka.dropDestination(dest);
        }
    }

    /** An exporter that counts the spans and drops them. */
    private static final class Discard implements SpanExporter {
        final AtomicLong spans = new AtomicLong();

        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            spans.addAndGet(batch.size());
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
