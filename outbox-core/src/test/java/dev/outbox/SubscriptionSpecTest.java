package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubscriptionSpecTest {

    @Test
    void theBuilderHasDocumentedDefaults() {
        SubscriptionSpec spec = SubscriptionSpec.builder("warehouse-projector")
                .patterns("Warehouse.Events.#")
                .build();

        assertThat(spec.name()).isEqualTo("warehouse-projector");
        assertThat(spec.patterns()).containsExactly("Warehouse.Events.#");
        assertThat(spec.concurrency()).isEqualTo(1);
        assertThat(spec.maxAttempts()).isEqualTo(5);
        assertThat(spec.backoff()).isEqualTo(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.2));
        assertThat(spec.deadLetter()).isEmpty();
        assertThat(spec.deadLetterOrDefault()).isEqualTo("warehouse-projector.dlq");
    }

    @Test
    void keepsWhatItIsGiven() {
        SubscriptionSpec spec = SubscriptionSpec.builder("billing")
                .patterns("Orders.*.Placed", "Orders.Cancelled")
                .concurrency(8)
                .maxAttempts(3)
                .backoff(Backoff.fixed(Duration.ofSeconds(1)))
                .deadLetter("billing-dead")
                .build();

        assertThat(spec.patterns()).containsExactly("Orders.*.Placed", "Orders.Cancelled");
        assertThat(spec.concurrency()).isEqualTo(8);
        assertThat(spec.maxAttempts()).isEqualTo(3);
        assertThat(spec.deadLetterOrDefault()).isEqualTo("billing-dead");
    }

    @Test
    void copiesThePatterns() {
        List<String> patterns = new ArrayList<>(List.of("a.#"));
        SubscriptionSpec spec = new SubscriptionSpec("n", patterns, 1, 1, Backoff.DEFAULT, Optional.empty());

        patterns.add("b.#");
        assertThat(spec.patterns()).containsExactly("a.#");
        assertThatThrownBy(() -> spec.patterns().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"has space", "a/b", "ünïcode", "semi;colon"})
    void refusesANameWithOtherCharacters(String name) {
        assertRefused(() -> SubscriptionSpec.builder(name).patterns("a").build(), "name must be letters");
    }

    @Test
    void refusesBadSettingsNamingThem() {
        assertRefused(() -> SubscriptionSpec.builder(null).patterns("a").build(), "name must not be null");
        assertRefused(() -> SubscriptionSpec.builder(" ").patterns("a").build(), "name must not be blank");
        assertRefused(
                () -> SubscriptionSpec.builder("n".repeat(201)).patterns("a").build(), "name must be letters");
        assertRefused(() -> SubscriptionSpec.builder("n").build(), "patterns must name at least one");
        assertRefused(() -> SubscriptionSpec.builder("n").patterns("a", " ").build(), "patterns[1] must not be blank");
        assertRefused(() -> SubscriptionSpec.builder("n").patterns("a", null).build(), "patterns[1] must not be null");
        assertRefused(
                () -> SubscriptionSpec.builder("n").patterns((String[]) null).build(), "patterns must not be null");
        assertRefused(
                () -> new SubscriptionSpec(
                        "n", java.util.Arrays.asList("a", null), 1, 1, Backoff.DEFAULT, Optional.empty()),
                "patterns[1] must not be null");
        assertRefused(
                () -> SubscriptionSpec.builder("n").patterns("a.\nb").build(),
                "patterns[0] must not contain control, formatting or separator characters");
        assertRefused(
                () -> SubscriptionSpec.builder("n").patterns("a".repeat(256)).build(),
                "patterns[0] must be at most 255 bytes in UTF-8");
        assertRefused(
                () -> new SubscriptionSpec("n", null, 1, 1, Backoff.DEFAULT, Optional.empty()),
                "patterns must not be null");
        assertRefused(
                () -> SubscriptionSpec.builder("n").patterns("a").concurrency(0).build(),
                "concurrency must be between 1 and 1024, was 0");
        assertRefused(
                () -> SubscriptionSpec.builder("n")
                        .patterns("a")
                        .concurrency(1025)
                        .build(),
                "concurrency must be between 1 and 1024, was 1025");
        assertRefused(
                () -> SubscriptionSpec.builder("n").patterns("a").maxAttempts(0).build(),
                "maxAttempts must be between 1 and 1000000, was 0");
        assertRefused(
                () -> SubscriptionSpec.builder("n").patterns("a").backoff(null).build(), "backoff must not be null");
        assertRefused(
                () -> SubscriptionSpec.builder("n")
                        .patterns("a")
                        .deadLetter(" ")
                        .build(),
                "deadLetter must not be blank");
        assertRefused(() -> new SubscriptionSpec("n", List.of("a"), 1, 1, Backoff.DEFAULT, null), "deadLetter");
        assertThat(SubscriptionSpec.builder("n".repeat(200))
                        .patterns("a")
                        .build()
                        .name())
                .hasSize(200);
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining(message);
    }
}
