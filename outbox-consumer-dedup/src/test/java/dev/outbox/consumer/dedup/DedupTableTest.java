package dev.outbox.consumer.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.postgres.Migration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DedupTableTest {

    @Test
    void defaultsLiveOnTheSearchPath() {
        assertThat(DedupTable.DEFAULT.schema()).isEmpty();
        assertThat(DedupTable.DEFAULT.qualifiedName()).isEqualTo("\"outbox_processed_message\"");
        assertThat(DedupTable.DEFAULT.qualifiedVersionTable()).isEqualTo("\"outbox_dedup_version\"");
        assertThat(DedupTable.DEFAULT.cleanupIndex()).isEqualTo("outbox_processed_message_cleanup_idx");
    }

    @Test
    void aSchemaQualifiesBothTables() {
        DedupTable t = DedupTable.named("processed").inSchema("billing").withVersionTable("versions");

        assertThat(t.qualifiedName()).isEqualTo("\"billing\".\"processed\"");
        assertThat(t.qualifiedVersionTable()).isEqualTo("\"billing\".\"versions\"");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Processed",
                "1processed",
                "processed-message",
                "processed message",
                "processed\"; drop table x; --",
                "processed;",
                "schema.table",
                "procéssed",
                "a234567890123456789012345678901234567890123456789012345678901234"
            })
    void namesThatAreNotPlainLowercaseIdentifiersAreRefused(String bad) {
        assertThatThrownBy(() -> DedupTable.named(bad))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("name must be an SQL name");
        assertThatThrownBy(() -> DedupTable.DEFAULT.inSchema(bad))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("schema must be an SQL name");
        assertThatThrownBy(() -> DedupTable.DEFAULT.withVersionTable(bad))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("versionTable must be an SQL name");
    }

    @Test
    void nullsAreRefusedByName() {
        assertThatThrownBy(() -> DedupTable.named(null)).hasMessage("name must not be null");
        assertThatThrownBy(() -> DedupTable.DEFAULT.inSchema(null)).hasMessage("schema must not be null");
        assertThatThrownBy(() -> new DedupTable(null, "a", "b"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("schema");
    }

    @Test
    void everyNameTheTableMakesStaysWithinSixtyThreeCharacters() {
        String longest = "a".repeat(51);

        assertThat(DedupTable.named(longest).cleanupIndex()).hasSize(63).endsWith("_cleanup_idx");
        assertThatThrownBy(() -> DedupTable.named(longest + "a"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("name is too long")
                .hasMessageContaining(longest + "a_cleanup_idx");
        assertThat(DedupTable.named("_under_score_1")).isNotNull();
        assertThat(DedupTable.named("order").qualifiedName()).isEqualTo("\"order\"");
        assertThatThrownBy(() -> DedupTable.DEFAULT.inSchema("pg_catalog"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("schema must not start with 'pg_'");
    }

    @Test
    void theTableAndTheVersionTableMustDiffer() {
        assertThatThrownBy(() -> new DedupTable(Optional.empty(), "same", "same"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("must differ");
    }

    @Test
    void migrationSqlIsPrintableWithTheNamesWrittenIn() {
        DedupTable t = DedupTable.named("processed").inSchema("billing");

        String sql = t.migrationSql();

        assertThat(sql)
                .contains("create table if not exists \"billing\".\"processed\"")
                .contains("primary key (consumer, source, message_id)")
                .contains("create index if not exists \"processed_cleanup_idx\" on \"billing\".\"processed\""
                        + " (consumer, processed_at)")
                .contains("create schema if not exists \"billing\";")
                .contains("-- V1: processed message")
                .doesNotContain("${")
                .doesNotContain("outbox_dedup_version");
    }

    @Test
    void migrationsAreNumberedFromOneInOrder() {
        assertThat(DedupTable.DEFAULT.migrations())
                .extracting(Migration::version)
                .startsWith(1)
                .isSorted()
                .doesNotHaveDuplicates();
    }
}
