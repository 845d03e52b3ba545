package dev.outbox;

import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter, used by the relay between attempts of a failing message and by subscribers between
 * attempts of a failing handler.
 *
 * @param initial the delay after the first failure
 * @param max the longest delay
 * @param multiplier how much each further failure multiplies the delay, at least 1
 * @param jitter the fraction of the delay drawn at random, from 0 (none) to 1; spreads retries of many lanes
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {

    /** The longest delay a backoff may have: 1 day. */
    public static final Duration MAX_DELAY = Duration.ofDays(1);

    /** The largest multiplier. */
    public static final double MAX_MULTIPLIER = 1000.0;

    /** 100 ms, doubling, up to 30 s, with 20% jitter. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), 2.0, 0.2);

    /**
     * @throws InvalidConfigurationException naming the bad component: delays must be positive and at most {@link
     *     #MAX_DELAY}, {@code max} at least {@code initial}, the multiplier from 1 to {@value #MAX_MULTIPLIER}, the
     *     jitter from 0 to 1
     */
    public Backoff {
        Validation.positive(initial, MAX_DELAY, "backoff.initial");
        Validation.positive(max, MAX_DELAY, "backoff.max");
        if (max.compareTo(initial) < 0) {
            throw new InvalidConfigurationException(
                    "backoff.max (" + max + ") must not be less than backoff.initial (" + initial + ")");
        }
        if (!(multiplier >= 1.0 && multiplier <= MAX_MULTIPLIER)) {
            throw new InvalidConfigurationException(
                    "backoff.multiplier must be between 1 and " + MAX_MULTIPLIER + ", was " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            throw new InvalidConfigurationException("backoff.jitter must be between 0 and 1, was " + jitter);
        }
    }

    /** A backoff without jitter, for tests and predictable schedules. */
    public static Backoff fixed(Duration delay) {
        return new Backoff(delay, delay, 1.0, 0.0);
    }

    /**
     * The delay before attempt {@code failures + 1}.
     *
     * @param failures how many attempts have failed so far, at least 1
     */
    public Duration delay(int failures) {
        double base = initial.toNanos() * Math.pow(multiplier, Math.max(0, failures - 1));
        double capped = Math.min(base, (double) max.toNanos());
        double spread = capped * jitter;
        double value =
                capped - spread + (spread == 0 ? 0 : ThreadLocalRandom.current().nextDouble(spread * 2));
        return Duration.ofNanos((long) Math.min(value, (double) max.toNanos()));
    }
}
