package dev.outbox.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentifiersTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Outbox",
                "1outbox",
                "out-box",
                "out box",
                "outbox\"; drop table x; --",
                "outbox;",
                "schema.table",
                "outböx",
                "outbox\u0000",
                "outbox\n",
                "a234567890123456789012345678901234567890123456789012345678901234"
            })
    void namesOutsideTheRuleAreRefusedNamingTheSettingAndQuotingTheValueSafely(String bad) {
        assertThatThrownBy(() -> Identifiers.check(bad, "tablePrefix"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("tablePrefix must be an SQL name")
                .hasMessageNotContaining("\n")
                .hasMessageNotContaining("\u0000");
    }

    @Test
    void keywordsAreNamesLikeAnyOtherBecauseTheyAreAlwaysQuoted() {
        assertThat(Identifiers.check("order", "name")).isEqualTo("order");
        assertThat(Identifiers.quote("order")).isEqualTo("\"order\"");
        assertThat(Identifiers.qualified(Optional.of("user"), "select")).isEqualTo("\"user\".\"select\"");
        assertThat(Identifiers.qualified(Optional.empty(), "select")).isEqualTo("\"select\"");
        assertThat(Identifiers.check("a".repeat(63), "name")).hasSize(63);
    }

    @Test
    void schemasOfPostgresItselfAreRefused() {
        assertThatThrownBy(() -> Identifiers.checkSchema("pg_temp", "schema"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("schema must not start with 'pg_'");
        assertThat(Identifiers.checkSchema("billing", "schema")).isEqualTo("billing");
    }

    @Test
    void derivedNamesNameTheSettingTheyCameFrom() {
        assertThatThrownBy(() -> Identifiers.derived("a".repeat(60) + "_message", "tablePrefix"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("tablePrefix is too long")
                .hasMessageContaining("68 characters");
    }

    @Test
    void onlyCheckedNamesAreQuoted() {
        assertThatThrownBy(() -> Identifiers.quote("a\"b")).isInstanceOf(IllegalArgumentException.class);
    }
}
