package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.SubscriptionSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsumerMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SubscriptionSpec spec = SubscriptionSpec.builder("orders")
            .patterns("Orders.#")
            .maxAttempts(3)
            .build();

    private static IncomingMessage attempt(int n) {
        Envelope e = new Envelope(
                new MessageId(7), "shop", "Orders.Placed", "o-1", "Placed", "text/plain", Instant.EPOCH, Map.of());
        return new IncomingMessage(e, new byte[0], n);
    }

    private double count(String name) {
        var c = registry.find(name).tag("subscription", "orders").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aFailureBeforeTheLastAttemptIsNotADeadLetter() {
        MessageHandler wrapped = ConsumerMetrics.wrap(
                spec,
                m -> {
                    throw new IllegalStateException("database down");
                },
                registry);
        assertThatThrownBy(() -> wrapped.handle(attempt(1))).hasMessage("database down");
        assertThatThrownBy(() -> wrapped.handle(attempt(2))).hasMessage("database down");
        assertThat(count("outbox.consumer.failed")).isEqualTo(2);
        assertThat(count("outbox.consumer.dead.lettered")).isZero();

        assertThatThrownBy(() -> wrapped.handle(attempt(3))).hasMessage("database down");
        assertThat(count("outbox.consumer.failed")).isEqualTo(3);
        assertThat(count("outbox.consumer.dead.lettered")).isEqualTo(1);
        assertThat(count("outbox.consumer.handled")).isZero();
    }

    @Test
    void aFatalFailureIsADeadLetterAtOnce() {
        MessageHandler wrapped = ConsumerMetrics.wrap(
                spec,
                m -> {
                    throw new FatalException("unreadable payload");
                },
                registry);
        assertThatThrownBy(() -> wrapped.handle(attempt(1))).isInstanceOf(FatalException.class);
        assertThat(count("outbox.consumer.dead.lettered")).isEqualTo(1);
    }

    @Test
    void successIsCountedAndTimed() {
        MessageHandler wrapped = ConsumerMetrics.wrap(spec, m -> {}, registry);
        wrapped.handle(attempt(1));
        wrapped.handle(attempt(2));
        assertThat(count("outbox.consumer.handled")).isEqualTo(2);
        assertThat(count("outbox.consumer.failed")).isZero();
        assertThat(registry.find("outbox.consumer.handle.duration")
                        .tag("subscription", "orders")
                        .timer()
                        .count())
                .isEqualTo(2);
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        assertThatThrownBy(() -> ConsumerMetrics.wrap(null, m -> {}, registry))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("spec");
        assertThatThrownBy(() -> ConsumerMetrics.wrap(spec, null, registry))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("handler");
        assertThatThrownBy(() -> ConsumerMetrics.wrap(spec, m -> {}, null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("registry");
    }
}
