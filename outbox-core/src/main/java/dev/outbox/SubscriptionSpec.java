package dev.outbox;

import dev.outbox.internal.Check;
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

    public SubscriptionSpec {
        Check.nonBlank(name, "name");
        if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new InvalidConfigurationException(
                    "name must be letters, digits, '.', '_' or '-' (at most 200), was '" + name + "'");
        }
        Check.notNull(patterns, "patterns");
        if (patterns.isEmpty()) {
            throw new InvalidConfigurationException("patterns must name at least one topic or pattern");
        }
        for (String p : patterns) {
            Check.nonBlank(p, "patterns[]");
        }
        patterns = List.copyOf(patterns);
        Check.positive(concurrency, "concurrency");
        Check.positive(maxAttempts, "maxAttempts");
        Check.notNull(backoff, "backoff");
        Check.notNull(deadLetter, "deadLetter");
        deadLetter.ifPresent(d -> Check.nonBlank(d, "deadLetter"));
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

        /** Adds topics or patterns. At least one is required. */
        public Builder patterns(String... more) {
            patterns.addAll(List.of(more));
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
