package dev.outbox.broker.rabbit.guice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Stage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.spi.Broker;
import org.junit.jupiter.api.Test;

class RabbitBrokerModuleTest {
    // Nothing listens there: the module must not connect.
    private final RabbitBrokerSettings settings =
            RabbitBrokerSettings.builder().host("127.0.0.1").port(1).build();

    @Test
    void bindsOneRabbitBrokerAsTheBrokerWithoutConnecting() {
        Injector injector = Guice.createInjector(Stage.PRODUCTION, new RabbitBrokerModule(settings));

        Broker broker = injector.getInstance(Broker.class);
        try {
            assertThat(broker).isInstanceOf(RabbitBroker.class).isSameAs(injector.getInstance(RabbitBroker.class));
            assertThat(((RabbitBroker) broker).settings()).isEqualTo(settings);
        } finally {
            broker.close();
        }
    }

    @Test
    void installingItTwiceIsHarmless() {
        Injector injector = Guice.createInjector(
                new RabbitBrokerModule(settings),
                new RabbitBrokerModule(settings.toBuilder().build()));

        try (Broker broker = injector.getInstance(Broker.class)) {
            assertThat(broker).isSameAs(injector.getInstance(Broker.class));
        }
    }

    @Test
    void refusesNullSettings() {
        assertThatThrownBy(() -> new RabbitBrokerModule(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("settings");
    }
}
