package dev.outbox.tracing.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.Envelope;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.spi.Broker;
import dev.outbox.testkit.RecordingBroker;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Without an instance of its own, tracing waits for the global OpenTelemetry and never fixes it before it is set. */
class GlobalOpenTelemetryTest {
    @BeforeEach
    @AfterEach
    void noGlobalInstance() {
        GlobalOpenTelemetry.resetForTest();
    }

    private static OutgoingMessage message(long id) {
        return new OutgoingMessage(
                new Envelope(new MessageId(id), "s", "T", null, "t", "text/plain", Instant.EPOCH, Map.of()),
                new byte[0],
                0);
    }

    @Test
    void tracesWithTheGlobalInstanceOnceTheApplicationRegistersIt() {
        Broker broker = OutboxTracing.builder().build().broker(new RecordingBroker());
        broker.publish(List.of(message(1)));
        assertThat(GlobalOpenTelemetry.isSet())
                .as("tracing used before registration leaves the global instance unset")
                .isFalse();

        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                        .build())
                .buildAndRegisterGlobal();
        try {
            broker.publish(List.of(message(2)));
            assertThat(exporter.getFinishedSpanItems()).singleElement().satisfies(s -> assertThat(
                            s.getAttributes().get(TracingAttributes.MESSAGING_MESSAGE_ID))
                    .isEqualTo("2"));
        } finally {
            sdk.close();
        }
    }
}
