package dev.outbox;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.fake.FakeBroker;
import dev.outbox.memory.InMemoryMessageStore;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every setting of {@link Relay.Builder} is checked in {@code build()}, and the message names it. */
class RelayBuilderTest {
    private static final InMemoryMessageStore STORE = InMemoryMessageStore.create(4);
    private static final FakeBroker BROKER = new FakeBroker();

    static Stream<Arguments> badSettings() {
        return Stream.of(
                bad("store must not be null", b -> b.store(null)),
                bad("broker must not be null", b -> b.broker(null)),
                bad("source must not be null", b -> b.source(null)),
                bad("source must not be blank", b -> b.source(" ")),
                bad("source must be at most 255 characters", b -> b.source("s".repeat(256))),
                bad("source must not contain control characters", b -> b.source("ware\nhouse")),
                bad("id must not be blank", b -> b.id(" ")),
                bad("monitor must not be null", b -> b.monitor(null)),
                bad("listener must not be null", b -> b.listener(null)),
                bad("clock must not be null", b -> b.clock(null)),
                bad("frequency must not be null", b -> b.frequency(null)),
                bad("frequency must be a positive duration", b -> b.frequency(Duration.ZERO)),
                bad("frequency must be a positive duration", b -> b.frequency(ofMillis(-1))),
                bad("batchSize must be positive, was 0", b -> b.batchSize(0)),
                bad("batchSize must be positive, was -5", b -> b.batchSize(-5)),
                bad("concurrency must be positive, was 0", b -> b.concurrency(0)),
                bad("concurrency (5) must be at most the store's lane count (4)", b -> b.concurrency(5)),
                bad("maxAttempts must be positive, was 0", b -> b.maxAttempts(0)),
                bad("backoff must not be null", b -> b.backoff(null)),
                bad("publishTimeout must be a positive duration", b -> b.publishTimeout(Duration.ZERO)),
                bad("publishTimeout must not be null", b -> b.publishTimeout(null)),
                bad("lease must be a positive duration", b -> b.lease(ofSeconds(-5))),
                bad("heartbeat must be a positive duration", b -> b.heartbeat(Duration.ZERO)),
                bad("lagThreshold must be a positive duration", b -> b.lagThreshold(Duration.ZERO)),
                bad("maintenanceInterval must not be null", b -> b.maintenanceInterval(null)),
                bad("lease (PT1.5S) must be at least twice the heartbeat (PT1S)", b -> b.lease(ofMillis(1500))
                        .heartbeat(ofSeconds(1))));
    }

    private static Arguments bad(String message, Consumer<Relay.Builder> change) {
        return Arguments.of(message, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void refusesABadSettingNamingIt(String message, Consumer<Relay.Builder> change) {
        Relay.Builder builder = Relay.builder().store(STORE).broker(BROKER).source("warehouse");
        change.accept(builder);

        assertThatThrownBy(builder::build)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest(name = "lease {0} with heartbeat {1}")
    @MethodSource("acceptedLeases")
    void acceptsALeaseOfAtLeastTwoHeartbeats(Duration lease, Duration heartbeat) {
        try (Relay relay = Relay.builder()
                .store(STORE)
                .broker(BROKER)
                .source("warehouse")
                .lease(lease)
                .heartbeat(heartbeat)
                .build()) {
            assertThat(relay.id()).startsWith("warehouse-");
        }
    }

    @Test
    void theDefaultConcurrencyFitsAStoreOfOneLane() {
        try (Relay relay = Relay.builder()
                .store(InMemoryMessageStore.create(1))
                .broker(BROKER)
                .source("warehouse")
                .build()) {
            assertThat(relay.drainNow().published()).isZero();
        }
    }

    static Stream<Arguments> acceptedLeases() {
        return Stream.of(
                Arguments.of(ofSeconds(2), ofSeconds(1)),
                Arguments.of(ofSeconds(5), ofSeconds(1)),
                Arguments.of(ofMillis(100), ofMillis(50)));
    }
}
