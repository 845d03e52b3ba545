package dev.outbox.broker.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicPatternsTest {

    @ParameterizedTest(name = "{0} ~ {1}: {2}")
    @CsvSource({
        "Warehouse.Events.#, Warehouse.Events, true",
        "Warehouse.Events.#, Warehouse.Events.ProductAdded, true",
        "Warehouse.Events.#, Warehouse.Events.Stock.Low, true",
        "Warehouse.Events.#, Warehouse.EventsX, false",
        "Warehouse.Events.#, Warehouse, false",
        "Warehouse.Events.#, Other.Events.ProductAdded, false",
        "Warehouse.*.ProductAdded, Warehouse.Events.ProductAdded, true",
        "Warehouse.*.ProductAdded, Warehouse.ProductAdded, false",
        "Warehouse.*.ProductAdded, Warehouse.A.B.ProductAdded, false",
        "*.Events, Warehouse.Events, true",
        "*.Events, Events, false",
        "#.Low, Low, true",
        "#.Low, Stock.Low, true",
        "#.Low, Warehouse.Stock.Low, true",
        "#.Low, Warehouse.Stock.High, false",
        "a.#.z, a.z, true",
        "a.#.z, a.b.c.z, true",
        "a.#.z, a.bz, false",
        "a.#.#.z, a.z, true",
        "#, anything.at.all, true",
        "*, one, true",
        "*, two.words, false",
        "a-b_c.*, a-b_c.d, true",
        "a-b_c.*, aXb_c.d, false",
    })
    void translatesRabbitStylePatterns(String pattern, String topic, boolean matches) {
        assertThat(TopicPatterns.isPattern(pattern)).isTrue();
        assertThat(Pattern.compile(TopicPatterns.toRegex(pattern))
                        .matcher(topic)
                        .matches())
                .isEqualTo(matches);
    }

    @Test
    void dotsInLiteralWordsAreNotWildcards() {
        assertThat(Pattern.compile(TopicPatterns.toRegex("a.*")).matcher("aXb").matches())
                .isFalse();
        assertThat(TopicPatterns.isPattern("Warehouse.Events.ProductAdded")).isFalse();
        assertThat(TopicPatterns.isPattern("a*b")).isFalse();
    }

    @Test
    void refusesWordsKafkaCannotHaveNamingThePattern() {
        assertThatThrownBy(() -> TopicPatterns.toRegex("a..#"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("a..#");
        assertThatThrownBy(() -> TopicPatterns.toRegex("a b.#"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("a b.#");
        assertThatThrownBy(() -> TopicPatterns.toRegex("a*.#")).isInstanceOf(InvalidConfigurationException.class);
    }

    @Test
    void aSubscriptionNeverMatchesItsOwnDeadLetterTopic() {
        Pattern p = TopicPatterns.subscription(List.of("#"), "orders.dlq");
        assertThat(p.matcher("orders").matches()).isTrue();
        assertThat(p.matcher("orders.dlq").matches()).isFalse();
        assertThat(p.matcher("orders.dlq.more").matches()).isTrue();

        Pattern mixed = TopicPatterns.subscription(List.of("plain.topic", "Warehouse.#"), "x.dlq");
        assertThat(mixed.matcher("plain.topic").matches()).isTrue();
        assertThat(mixed.matcher("plainXtopic").matches()).isFalse();
        assertThat(mixed.matcher("Warehouse.Events").matches()).isTrue();
    }

    @Test
    void knowsLegalTopicNames() {
        assertThat(TopicPatterns.invalidTopic("Warehouse.Events_1-a")).isEmpty();
        assertThat(TopicPatterns.invalidTopic("has space"))
                .hasValueSatisfying(m -> assertThat(m).contains("has space"));
        assertThat(TopicPatterns.invalidTopic("..")).isPresent();
        assertThat(TopicPatterns.invalidTopic("x".repeat(250))).isPresent();
        assertThat(TopicPatterns.invalidTopic("ünï")).isPresent();
    }
}
