package dev.outbox.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void tablesAreQuotedAndQualifiedIndexesOnlyQuoted() {
        Names names = Names.of(Optional.of("billing"), "schema", "outbox", "tablePrefix");

        assertThat(names.table()).isEqualTo("\"billing\".\"outbox\"");
        assertThat(names.table("message")).isEqualTo("\"billing\".\"outbox_message\"");
        assertThat(names.name("message_pending")).isEqualTo("\"outbox_message_pending\"");
        assertThat(names.plain("lane")).isEqualTo("outbox_lane");
        assertThat(names.channel("append")).isEqualTo("billing_outbox_append");
        assertThat(names).hasToString("billing.outbox_*");
    }

    @Test
    void theSettingsAreNamedInEveryError() {
        assertThatThrownBy(() -> Names.of(Optional.of("Billing"), "schema", "outbox", "tablePrefix"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("schema ");
        assertThatThrownBy(() -> Names.of(Optional.empty(), "schema", "out box", "tablePrefix"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("tablePrefix ");
        assertThatThrownBy(() -> Names.of(null, "schema", "outbox", "tablePrefix"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("schema ");

        Names long40 = Names.of(Optional.of("s".repeat(30)), "schema", "p".repeat(30), "tablePrefix");
        assertThat(long40.table("message")).contains("p".repeat(30) + "_message");
        assertThatThrownBy(() -> long40.channel("append"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("schema and tablePrefix are too long together")
                .hasMessageContaining("NOTIFY channel");
        assertThatThrownBy(() -> Names.of(Optional.empty(), "schema", "p".repeat(50), "tablePrefix")
                        .table("parked_message"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("tablePrefix is too long");
    }
}
