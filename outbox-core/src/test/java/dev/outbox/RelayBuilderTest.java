package dev.outbox;

import static java.time.Duration.ofDays;
import static java.time.Duration.ofHours;
import static java.time.Duration.ofMillis;
import static java.time.Duration.ofMinutes;
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
                bad("source must be at most 255 bytes in UTF-8, was 256", b -> b.source("s".repeat(256))),
                bad("source must be at most 255 bytes in UTF-8, was 256", b -> b.source("é".repeat(128))),
                bad(
                        "source must not contain control, formatting or separator characters; found U+000A at index 4",
                        b -> b.source("ware\nhouse")),
                bad(
                        "source must not contain control, formatting or separator characters; found U+202E",
                        b -> b.source("ware\u202Ehouse")),
                bad(
                        "id must not contain control, formatting or separator characters; found U+000D",
                        b -> b.id("relay-1\r\nINFO forged line")),
                bad(
                        "id must not contain control, formatting or separator characters; found U+2028",
                        b -> b.id("relay-1\u2028forged")),
                bad("id must be at most 255 bytes in UTF-8", b -> b.id("r".repeat(256))),
                bad("id must not be blank", b -> b.id(" ")),
                bad("monitor must not be null", b -> b.monitor(null)),
                bad("listener must not be null", b -> b.listener(null)),
                bad("clock must not be null", b -> b.clock(null)),
                bad("frequency must not be null", b -> b.frequency(null)),
                bad("frequency must be a positive duration", b -> b.frequency(Duration.ZERO)),
                bad("frequency must be a positive duration", b -> b.frequency(ofMillis(-1))),
                bad("batchSize must be between 1 and 100000, was 0", b -> b.batchSize(0)),
                bad("batchSize must be between 1 and 100000, was -5", b -> b.batchSize(-5)),
                bad("batchSize must be between 1 and 100000, was 100001", b -> b.batchSize(100_001)),
                bad("concurrency must be between 1 and 4, was 0", b -> b.concurrency(0)),
                bad("concurrency (5) must be at most the store's lane count (4)", b -> b.concurrency(5)),
                bad("maxAttempts must be between 1 and 1000000, was 0", b -> b.maxAttempts(0)),
                bad("maxAttempts must be between 1 and 1000000", b -> b.maxAttempts(Integer.MAX_VALUE)),
                bad("frequency must be at most PT1H, was PT2H", b -> b.frequency(ofHours(2))),
                bad("publishTimeout must be at most PT1H", b -> b.publishTimeout(ofDays(365))),
                bad("lease must be at most PT1H", b -> b.lease(ofSeconds(Long.MAX_VALUE))),
                bad("lease must be at most PT1H", b -> b.lease(ofDays(36_500))),
                bad("heartbeat must be at most PT30M", b -> b.heartbeat(ofMinutes(31))),
                bad("lagThreshold must be at most PT2400H", b -> b.lagThreshold(ofDays(101))),
                bad("maintenanceInterval must be at most PT24H", b -> b.maintenanceInterval(ofDays(2))),
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
