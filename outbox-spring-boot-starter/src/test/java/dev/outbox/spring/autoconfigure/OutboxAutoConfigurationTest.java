package dev.outbox.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.spring.SpringOutbox;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * What the auto-configuration builds from {@code outbox.*}, and how a bad value stops the context: with the property's
 * name. The data source is never connected to (migrations off), so no database is needed.
 */
class OutboxAutoConfigurationTest {
    private final ApplicationContextRunner unnamed = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OutboxAutoConfiguration.class))
            .withBean(DataSource.class, () -> {
                HikariDataSource ds = new HikariDataSource();
                ds.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/never-connected");
                return ds;
            })
            .withPropertyValues(
                    "outbox.store.migrate=false",
                    "outbox.broker=kafka",
                    "outbox.kafka.bootstrap-servers=127.0.0.1:1",
                    // Nothing here connects: the relay is built, not started.
                    "outbox.relay.auto-startup=false");
    private final ApplicationContextRunner runner = unnamed.withPropertyValues("outbox.source=billing");

    @Test
    void buildsTheOutboxTheBrokerAndTheRelay() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(Outbox.class);
            assertThat(context).hasSingleBean(SpringOutbox.class);
            assertThat(context).hasSingleBean(KafkaBroker.class);
            assertThat(context).doesNotHaveBean(RabbitBroker.class);
            assertThat(context.getBean(Relay.class).id()).startsWith("billing-");
        });
    }

    @Test
    void theOutboxRefusesATopicTheBrokerCannotTake() {
        runner.run(context -> assertThatThrownBy(
                        () -> context.getBean(Outbox.class).topicRules().check("orders placed"))
                .hasMessageContaining("orders placed"));
    }

    @Test
    void theSourceDefaultsToTheApplicationsName() {
        unnamed.withPropertyValues("spring.application.name=warehouse")
                .run(context -> assertThat(context.getBean(Relay.class).id()).startsWith("warehouse-"));
    }

    @Test
    void rabbitmqIsChosenByProperty() {
        runner.withPropertyValues("outbox.broker=rabbitmq").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(RabbitBroker.class);
            assertThat(context).doesNotHaveBean(KafkaBroker.class);
        });
    }

    @Test
    void aNegativeBatchSizeStopsTheContextNamingTheProperty() {
        runner.withPropertyValues("outbox.relay.batch-size=-1")
                .run(context -> assertThat(messages(context.getStartupFailure()))
                        .contains("outbox.relay.batch-size must be between 1 and 100000, was -1"));
    }

    @Test
    void anUnknownBrokerStopsTheContextNamingTheProperty() {
        runner.withPropertyValues("outbox.broker=activemq")
                .run(context -> assertThat(messages(context.getStartupFailure()))
                        .contains("Failed to bind properties under 'outbox.broker'"));
    }

    @Test
    void aBlankSourceStopsTheContextNamingTheProperty() {
        runner.withPropertyValues("outbox.source=   ").run(context -> assertThat(messages(context.getStartupFailure()))
                .contains("outbox.source must not be blank"));
    }

    @Test
    void noSourceAtAllStopsTheContextNamingBothProperties() {
        unnamed.run(context -> assertThat(messages(context.getStartupFailure()))
                .contains("outbox.source must be set (or spring.application.name)"));
    }

    @Test
    void aTablePrefixThatIsNotAnIdentifierStopsTheContextNamingTheProperty() {
        runner.withPropertyValues("outbox.store.table-prefix=Outbox-Messages")
                .run(context ->
                        assertThat(messages(context.getStartupFailure())).contains("outbox.store.table-prefix"));
    }

    @Test
    void aLeaseShorterThanTwoHeartbeatsStopsTheContextNamingTheProperty() {
        runner.withPropertyValues("outbox.relay.lease=1s", "outbox.relay.heartbeat=1s")
                .run(context ->
                        assertThat(messages(context.getStartupFailure())).contains("outbox.relay.lease"));
    }

    @Test
    void withoutABrokerModuleTheContextStopsAndSaysWhatToAdd() {
        runner.withPropertyValues("outbox.broker=")
                .withClassLoader(new FilteredClassLoader(KafkaBroker.class, RabbitBroker.class))
                .run(context -> assertThat(messages(context.getStartupFailure()))
                        .contains("Add outbox-broker-kafka or outbox-broker-rabbit")
                        .contains("outbox.relay.enabled=false"));
    }

    @Test
    void withoutABrokerModuleAnApplicationThatOnlyAppendsStarts() {
        runner.withPropertyValues("outbox.broker=", "outbox.relay.enabled=false")
                .withClassLoader(new FilteredClassLoader(KafkaBroker.class, RabbitBroker.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(SpringOutbox.class);
                    assertThat(context).doesNotHaveBean(Relay.class);
                });
    }

    @Test
    void withBothBrokerModulesAndNoChoiceTheContextStopsAskingForOne() {
        runner.withPropertyValues("outbox.broker=").run(context -> assertThat(messages(context.getStartupFailure()))
                .contains("set outbox.broker=kafka or rabbitmq"));
    }

    /** The messages of a failure and its causes: what Spring Boot prints when the application fails to start. */
    private static String messages(Throwable failure) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            out.append(t.getMessage()).append('\n');
        }
        return out.toString();
    }

    @Test
    void propertyNamesFollowTheBuildersSettings() {
        assertThat(PropertyNames.rename("outbox.relay", "batchSize must be positive, was -1"))
                .isEqualTo("outbox.relay.batch-size must be positive, was -1");
        assertThat(PropertyNames.rename("outbox.relay", "concurrency (9) must be at most 8"))
                .isEqualTo("outbox.relay.concurrency (9) must be at most 8");
        assertThat(PropertyNames.rename("outbox", "Something else")).isEqualTo("outbox: Something else");
    }
}
