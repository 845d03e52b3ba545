package dev.outbox;

import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a consumer subscribes to, and how failures of its handler are treated. The same spec works on every broker.
 *
 * @param name the consumer's name: the Kafka consumer group, the RabbitMQ queue's name (after the adapter's prefix).
 *     Letters, digits, '.', '_' and '-', at most 200 characters.
 * @param patterns what to receive: topic names, or patterns where {@code *} matches one dot-separated word and
 *     {@code #} any number of words ({@code Warehouse.Events.#}), as in RabbitMQ topic bindings
 * @param concurrency how many messages are handled at once, at least 1 (order is kept per partition key)
 * @param maxAttempts how many times the handler is tried with one message before it is dead-lettered, at least 1
 * @param backoff the delay between those attempts
 * @param deadLetter where messages go after the last failed attempt; empty for the adapter's default ({@code
 *     <name>.dlq})
 */
public record SubscriptionSpec(
        String name,
        List<String> patterns,
        int concurrency,
        int maxAttempts,
        Backoff backoff,
        Optional<String> deadLetter) {

    /** The most handlers a subscription runs at once. */
    public static final int MAX_CONCURRENCY = 1024;

    /** The most attempts of one message. */
    public static final int MAX_ATTEMPTS = 1_000_000;

    /** The longest pattern or dead-letter name, in bytes of UTF-8: a RabbitMQ binding key. */
    public static final int MAX_PATTERN_BYTES = 255;

    /**
     * @throws InvalidConfigurationException naming the bad component: a name that is not letters, digits, '.', '_'
     *     and '-' (at most 200), no pattern, a null, blank or unprintable pattern (named by its index) or one over
     *     {@value #MAX_PATTERN_BYTES} bytes, a concurrency outside 1 to {@value #MAX_CONCURRENCY}, attempts outside 1
     *     to {@value #MAX_ATTEMPTS}, a null backoff, a bad dead-letter name
     */
    public SubscriptionSpec {
        Validation.nonBlank(name, "name");
        if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new InvalidConfigurationException(
                    "name must be letters, digits, '.', '_' or '-' (at most 200), was " + Validation.quote(name));
        }
        patterns = Validation.elements(patterns, "patterns");
        if (patterns.isEmpty()) {
            throw new InvalidConfigurationException("patterns must name at least one topic or pattern");
        }
        for (int i = 0; i < patterns.size(); i++) {
            Validation.name(patterns.get(i), "patterns[" + i + "]", MAX_PATTERN_BYTES);
        }
        Validation.positive(concurrency, MAX_CONCURRENCY, "concurrency");
        Validation.positive(maxAttempts, MAX_ATTEMPTS, "maxAttempts");
        Validation.notNull(backoff, "backoff");
        Validation.notNull(deadLetter, "deadLetter");
        deadLetter.ifPresent(d -> Validation.name(d, "deadLetter", MAX_PATTERN_BYTES));
    }

    /** The dead-letter destination: the one given, or {@code <name>.dlq}. */
    public String deadLetterOrDefault() {
        return deadLetter.orElse(name + ".dlq");
    }

    /** A builder for a subscription named {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builds a {@link SubscriptionSpec}; validation happens in {@link #build()}. */
    public static final class Builder {
        private final String name;
        private final List<String> patterns = new ArrayList<>();
        private int concurrency = 1;
        private int maxAttempts = 5;
        private Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.2);
        private String deadLetter;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * Adds topics or patterns. At least one is required.
         *
         * @throws InvalidConfigurationException if {@code more} or one of its elements is null, naming its index
         */
        public Builder patterns(String... more) {
            patterns.addAll(Validation.elements(more, "patterns"));
            return this;
        }

        /** How many messages are handled at once. Default 1. */
        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /** Attempts per message before dead-lettering. Default 5. */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Delay between attempts. Default 100 ms doubling up to 5 s, 20% jitter. */
        public Builder backoff(Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        /** Dead-letter topic (Kafka) or exchange (RabbitMQ). Default {@code <name>.dlq}. */
        public Builder deadLetter(String deadLetter) {
            this.deadLetter = deadLetter;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting */
        public SubscriptionSpec build() {
            return new SubscriptionSpec(
                    name, patterns, concurrency, maxAttempts, backoff, Optional.ofNullable(deadLetter));
        }
    }
}
