package dev.outbox.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MigrationRunnerTest {
    private static final Names NAMES = Names.of(Optional.of("shop"), "schema", "items", "prefix");

    @Test
    void filesAreRenderedInOrderWithEveryPlaceholderReplaced() {
        MigrationRunner runner = MigrationRunner.builder(
                        MigrationRunnerTest.class, "good", "V1__first.sql", "V2__second_step.sql")
                .names(NAMES)
                .versionTable("items_version")
                .parameter("size", 7)
                .build();

        assertThat(runner.migrations()).extracting(Migration::version).containsExactly(1, 2);
        assertThat(runner.migrations()).extracting(Migration::description).containsExactly("first", "second step");
        assertThat(runner.migrations().get(0).sql())
                .contains("create table \"shop\".\"items_item\" (id bigint primary key, size int not null default 7)")
                .contains("create index \"items_item_size\" on \"shop\".\"items_item\" (size)");
        assertThat(runner.migrations().get(1).sql())
                .contains("create table \"shop\".\"items\" (id bigint primary key references \"shop\".\"items_item\"");
        assertThat(runner.versionTable()).isEqualTo("\"shop\".\"items_version\"");
        assertThat(runner.script())
                .startsWith("create schema if not exists \"shop\";\n")
                .contains("-- V1: first\n")
                .contains("-- V2: second step\n")
                .doesNotContain("${");
    }

    @Test
    void aConfiguredNameThatMakesAnyNameTooLongFailsAtBuildNamingItsSetting() {
        Names names = Names.of(Optional.empty(), "schema", "p".repeat(55), "prefix");
        assertThatThrownBy(() -> MigrationRunner.builder(MigrationRunnerTest.class, "good", "V1__first.sql")
                        .names(names)
                        .versionTable("v")
                        .parameter("size", 1)
                        .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("prefix is too long")
                .hasMessageContaining("_item_size");
    }

    @Test
    void filesThatBreakTheLayoutAreBugsOfTheModule() {
        assertThatThrownBy(() -> MigrationRunner.builder(MigrationRunnerTest.class, "bad", "V1__unknown.sql")
                        .names(NAMES)
                        .versionTable("v")
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unknown placeholder ${t}");
        assertThatThrownBy(() -> MigrationRunner.builder(MigrationRunnerTest.class, "good", "V2__second_step.sql")
                        .names(NAMES)
                        .versionTable("v")
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("must be named V1__");
        assertThatThrownBy(() -> MigrationRunner.builder(MigrationRunnerTest.class, "good", "V1__missing.sql")
                        .names(NAMES)
                        .versionTable("v")
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> MigrationRunner.builder(MigrationRunnerTest.class, "good", "V1__first.sql")
                        .names(NAMES)
                        .versionTable("v")
                        .build())
                .as("a parameter the module does not give")
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("${size}");
        assertThatThrownBy(() -> MigrationRunner.builder(MigrationRunnerTest.class, "good", "V1__first.sql", null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("files[1]");
    }
}
