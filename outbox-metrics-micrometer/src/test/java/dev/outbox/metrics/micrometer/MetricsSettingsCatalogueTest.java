package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.memory.InMemoryMessageStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The catalogue of bad settings of the metrics module: each fails where it is given, naming the setting. */
class MetricsSettingsCatalogueTest {

    static Stream<Arguments> cases() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InMemoryMessageStore store = InMemoryMessageStore.create(4);
        return Stream.of(
                Arguments.of("interval", (Runnable) () -> BacklogMetrics.builder(store, registry)
                        .interval(Duration.ofDays(2))
                        .build()),
                Arguments.of("interval", (Runnable) () -> BacklogMetrics.builder(store, registry)
                        .interval(Duration.ZERO)
                        .build()),
                Arguments.of("maxLaneTags", (Runnable) () ->
                        BacklogMetrics.builder(store, registry).maxLaneTags(-1).build()),
                Arguments.of("maxTopics", (Runnable) () ->
                        MicrometerRelayMetrics.builder(registry).maxTopics(0).build()),
                Arguments.of(
                        "behindQuietPeriod", (Runnable) () -> LoggingPartitionMonitor.create(Duration.ofDays(365))),
                Arguments.of(
                        "behindQuietPeriod", (Runnable) () -> LoggingPartitionMonitor.create(Duration.ofSeconds(-1))),
                Arguments.of("registry", (Runnable) () -> MicrometerPartitionMonitor.create(null)),
                Arguments.of("tags", (Runnable) () -> MicrometerPartitionMonitor.create(registry, null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedNamingTheSetting(String setting, Runnable call) {
        assertThatThrownBy(call::run)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith(setting + " ");
    }
}
