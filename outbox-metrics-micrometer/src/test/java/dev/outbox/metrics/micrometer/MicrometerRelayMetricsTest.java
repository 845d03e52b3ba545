package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicrometerRelayMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static OutgoingMessage to(String topic) {
        return new OutgoingMessage(
                new Envelope(new MessageId(1), "s", topic, null, "T", "text/plain", Instant.EPOCH, Map.of()),
                new byte[0],
                0);
    }

    private double published(String topic) {
        Counter c = registry.find("outbox.relay.published").tag("topic", topic).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void topicsPastTheLimitShareOneTagValue() {
        MicrometerRelayMetrics metrics =
                MicrometerRelayMetrics.builder(registry).maxTopics(2).build();
        for (String topic : new String[] {"a", "b", "c", "d", "a"}) {
            metrics.published(to(topic), Duration.ofMillis(5));
        }
        assertThat(published("a")).isEqualTo(2);
        assertThat(published("b")).isEqualTo(1);
        assertThat(published("c")).isZero();
        assertThat(published(MicrometerRelayMetrics.OTHER_TOPIC)).isEqualTo(2);
        assertThat(registry.find("outbox.relay.published").counters()).hasSize(3);
        assertThat(registry.find("outbox.relay.publish.latency").timer().count())
                .isEqualTo(5);
    }

    @Test
    void failuresAreCountedByKindAndExtraTagsApply() {
        MicrometerRelayMetrics metrics = MicrometerRelayMetrics.builder(registry)
                .tags(Tags.of("service", "warehouse"))
                .build();
        metrics.publishFailed(to("t"), new RetriableException("timeout"));
        metrics.publishFailed(to("t"), new RetriableException("timeout"));
        metrics.publishFailed(to("t"), new FatalException("too large"));
        assertThat(registry.find("outbox.relay.failures")
                        .tags("topic", "t", "kind", "retriable", "service", "warehouse")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.find("outbox.relay.failures")
                        .tags("topic", "t", "kind", "fatal", "service", "warehouse")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void roundsFeedTheBatchSummaryOnlyWhenTheyFetchedSomething() {
        MicrometerRelayMetrics metrics = MicrometerRelayMetrics.create(registry);
        metrics.roundCompleted(0, 0, 0, Duration.ofMillis(1));
        metrics.roundCompleted(7, 6, 1, Duration.ofMillis(3));
        metrics.lanesOwned(12);
        assertThat(registry.find("outbox.relay.batch.size").summary().count()).isEqualTo(1);
        assertThat(registry.find("outbox.relay.batch.size").summary().totalAmount())
                .isEqualTo(7);
        assertThat(registry.find("outbox.relay.round.duration").timer().count()).isEqualTo(2);
        assertThat(registry.find("outbox.relay.lanes.owned").gauge().value()).isEqualTo(12);
        assertThat(registry.find("outbox.relay.last.round.age").timeGauge().value(TimeUnit.SECONDS))
                .isLessThan(5);
    }

    @Test
    void thePartitionMonitorTracksStoppedLanes() {
        MicrometerPartitionMonitor monitor = MicrometerPartitionMonitor.create(registry);
        StoppedLane stop = new StoppedLane(3, new MessageId(9), "t", "fatal: too large", 1, Instant.EPOCH);
        monitor.laneStopped(stop);
        monitor.laneStopped(new StoppedLane(4, new MessageId(10), "t", "x", 10, Instant.EPOCH));
        monitor.laneBehind(5, Duration.ofMinutes(2));
        assertThat(registry.find("outbox.relay.lanes.stopped").gauge().value()).isEqualTo(2);
        monitor.laneRestarted(3);
        assertThat(registry.find("outbox.relay.lanes.stopped").gauge().value()).isEqualTo(1);
        assertThat(registry.find("outbox.relay.lane.stops").counter().count()).isEqualTo(2);
        assertThat(registry.find("outbox.relay.lane.restarts").counter().count())
                .isEqualTo(1);
        assertThat(registry.find("outbox.relay.lane.behind").counter().count()).isEqualTo(1);
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertThatThrownBy(() -> MicrometerRelayMetrics.create(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("registry");
        assertThatThrownBy(() ->
                        MicrometerRelayMetrics.builder(registry).maxTopics(0).build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("maxTopics");
        assertThatThrownBy(() -> LoggingPartitionMonitor.create(Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("behindQuietPeriod");
    }
}
