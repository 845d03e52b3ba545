package dev.outbox.consumer.dedup;

import static dev.outbox.consumer.dedup.Messages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageHandler;
import dev.outbox.StoreException;
import dev.outbox.testkit.PostgresExtension;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.HashPrefixSqlParser;
import org.jdbi.v3.core.statement.SqlStatements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad input to the dedup module, against a real PostgreSQL: settings refused at {@code build()}
 * naming the setting; a table never migrated named with what to do, before the handler runs and without creating
 * anything; reserved words as table names; the caller's statement settings not reaching the module's SQL.
 */
class DedupInputCatalogueIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    static Stream<Arguments> badSettings() {
        return Stream.of(
                bad("retention", b -> b.retention(Duration.ofDays(365 * 20))),
                bad("retention", b -> b.retention(Duration.ofSeconds(Long.MAX_VALUE))),
                bad("cleanupInterval", b -> b.cleanupInterval(Duration.ofDays(365))),
                bad("consumer", b -> b.consumer("billing\r\nINFO forged")),
                bad("consumer", b -> b.consumer("billing\u202E")),
                bad("table", b -> b.table(null)));
    }

    private static Arguments bad(String setting, UnaryOperator<Deduplicator.Builder> change) {
        return Arguments.of(setting, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void badSettingsFailAtBuildNamingTheSetting(String setting, UnaryOperator<Deduplicator.Builder> change) {
        assertThatThrownBy(() -> change.apply(
                                Deduplicator.builder().jdbi(pg.jdbi()).consumer("billing"))
                        .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith(setting + " ");
    }

    @Test
    void tableNamesThatBreakTheRuleOrAreTooLongFailWhereTheyAreNamed() {
        assertThatThrownBy(() -> DedupTable.named("Processed"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("'Processed'");
        assertThatThrownBy(() -> DedupTable.named("p".repeat(60)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("too long");
        assertThatThrownBy(() -> DedupTable.named("processed").inSchema("pg_temp"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("pg_");
    }

    @Test
    void aTableNeverMigratedSaysRunMigrateBeforeTheHandlerRuns() {
        DedupTable never =
                DedupTable.named("never_migrated").inSchema(pg.schema().name());
        AtomicInteger calls = new AtomicInteger();
        try (Deduplicator dedup = Deduplicator.builder()
                .jdbi(pg.jdbi())
                .consumer("billing")
                .table(never)
                .build()) {
            MessageHandler handler = dedup.wrap((h, m) -> calls.incrementAndGet());

            assertThatThrownBy(() -> handler.handle(message("warehouse", 1)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("never_migrated")
                    .hasMessageContaining("does not exist")
                    .hasMessageContaining("Deduplicator.migrate()");
        }
        assertThat(calls).hasValue(0);
        Boolean absent = pg.jdbi().withHandle(h -> h.createQuery("select to_regclass(:t) is null")
                .bind("t", pg.schema().name() + ".never_migrated")
                .mapTo(Boolean.class)
                .one());
        assertThat(absent).as("nothing was created").isTrue();
    }

    @Test
    void aReservedWordAsTableNameWorksAndTheCallersParserDoesNotReachTheModulesSql() {
        // "user" is a reserved word; the caller's Jdbi reads only #name parameters.
        Jdbi callers = Jdbi.create(pg.dataSource());
        callers.getConfig(SqlStatements.class).setSqlParser(new HashPrefixSqlParser());
        DedupTable user = DedupTable.named("user").inSchema(pg.schema().name());
        AtomicInteger calls = new AtomicInteger();
        try (Deduplicator dedup = Deduplicator.builder()
                .jdbi(callers)
                .consumer("billing")
                .table(user)
                .build()) {
            assertThat(dedup.migrate()).hasSize(1);
            MessageHandler handler = dedup.wrap((h, m) -> calls.incrementAndGet());

            handler.handle(message("warehouse", 7));
            handler.handle(message("warehouse", 7));
        }
        assertThat(calls).hasValue(1);
    }
}
