package dev.outbox;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void aFixedBackoffAlwaysWaitsTheSame() {
        Backoff fixed = Backoff.fixed(ofMillis(250));

        for (int failures = 1; failures < 50; failures++) {
            assertThat(fixed.delay(failures)).isEqualTo(ofMillis(250));
        }
    }

    @Test
    void growsByTheMultiplierUpToTheMaximum() {
        Backoff backoff = new Backoff(ofMillis(100), ofSeconds(1), 2.0, 0.0);

        assertThat(backoff.delay(1)).isEqualTo(ofMillis(100));
        assertThat(backoff.delay(2)).isEqualTo(ofMillis(200));
        assertThat(backoff.delay(3)).isEqualTo(ofMillis(400));
        assertThat(backoff.delay(4)).isEqualTo(ofMillis(800));
        assertThat(backoff.delay(5)).isEqualTo(ofSeconds(1));
        assertThat(backoff.delay(Integer.MAX_VALUE)).isEqualTo(ofSeconds(1));
    }

    @Test
    void fewerThanOneFailureWaitsTheInitialDelay() {
        Backoff backoff = new Backoff(ofMillis(100), ofSeconds(1), 2.0, 0.0);

        assertThat(backoff.delay(0)).isEqualTo(ofMillis(100));
        assertThat(backoff.delay(-3)).isEqualTo(ofMillis(100));
    }

    @Test
    void jitterStaysWithinItsFractionAndSpreads() {
        Backoff backoff = new Backoff(ofMillis(100), ofSeconds(10), 2.0, 0.2);
        Set<Duration> seen = new HashSet<>();

        for (int i = 0; i < 1000; i++) {
            Duration first = backoff.delay(1);
            assertThat(first).isBetween(ofMillis(80), ofMillis(120));
            assertThat(backoff.delay(3)).isBetween(ofMillis(320), ofMillis(480));
            seen.add(first);
        }
        assertThat(seen).hasSizeGreaterThan(100);
    }

    @Test
    void jitterNeverExceedsTheMaximum() {
        Backoff backoff = new Backoff(ofSeconds(1), ofSeconds(1), 1.0, 0.5);

        for (int i = 0; i < 1000; i++) {
            assertThat(backoff.delay(i % 10 + 1)).isBetween(ofMillis(500), ofSeconds(1));
        }
    }

    @Test
    void theDefaultIsDocumented() {
        assertThat(Backoff.DEFAULT).isEqualTo(new Backoff(ofMillis(100), ofSeconds(30), 2.0, 0.2));
    }

    @Test
    void refusesBadSettingsNamingThem() {
        assertRefused(() -> new Backoff(null, ofSeconds(1), 2, 0), "backoff.initial must not be null");
        assertRefused(() -> new Backoff(Duration.ZERO, ofSeconds(1), 2, 0), "backoff.initial must be a positive");
        assertRefused(() -> new Backoff(ofMillis(-1), ofSeconds(1), 2, 0), "backoff.initial must be a positive");
        assertRefused(() -> new Backoff(ofMillis(1), null, 2, 0), "backoff.max must not be null");
        assertRefused(() -> new Backoff(ofSeconds(2), ofSeconds(1), 2, 0), "backoff.max (PT1S) must not be less");
        assertRefused(
                () -> new Backoff(ofMillis(1), ofSeconds(1), 0.5, 0),
                "backoff.multiplier must be between 1 and 1000.0");
        assertRefused(() -> new Backoff(ofMillis(1), ofSeconds(1), 1001, 0), "backoff.multiplier must be between 1");
        assertRefused(() -> new Backoff(ofMillis(1), Duration.ofDays(2), 2, 0), "backoff.max must be at most PT24H");
        assertRefused(
                () -> new Backoff(ofSeconds(Long.MAX_VALUE), ofSeconds(Long.MAX_VALUE), 2, 0),
                "backoff.initial must be at most PT24H");
        assertRefused(() -> new Backoff(ofMillis(1), ofSeconds(1), Double.NaN, 0), "backoff.multiplier");
        assertRefused(() -> new Backoff(ofMillis(1), ofSeconds(1), Double.POSITIVE_INFINITY, 0), "backoff.multiplier");
        assertRefused(() -> new Backoff(ofMillis(1), ofSeconds(1), 2, -0.1), "backoff.jitter must be between 0 and 1");
        assertRefused(() -> new Backoff(ofMillis(1), ofSeconds(1), 2, 1.1), "backoff.jitter");
        assertRefused(() -> new Backoff(ofMillis(1), ofSeconds(1), 2, Double.NaN), "backoff.jitter");
        assertRefused(() -> Backoff.fixed(Duration.ZERO), "backoff.initial");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(message);
    }
}
