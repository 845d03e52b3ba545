package dev.outbox.broker.kafka.guice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.spi.Broker;
import org.junit.jupiter.api.Test;

class KafkaBrokerModuleTest {
    private static final KafkaBrokerSettings SETTINGS =
            KafkaBrokerSettings.builder("127.0.0.1:1").build();

    @Test
    void bindsOneKafkaBrokerFromItsSettingsWithoutConnecting() {
        Injector injector = Guice.createInjector(new KafkaBrokerModule(SETTINGS));

        Broker broker = injector.getInstance(Broker.class);

        assertThat(broker).isInstanceOf(KafkaBroker.class).isSameAs(injector.getInstance(KafkaBroker.class));
        assertThat(((KafkaBroker) broker).settings()).isEqualTo(SETTINGS);
        broker.close();
    }

    @Test
    void installingItTwiceWithEqualSettingsIsHarmless() {
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                install(new KafkaBrokerModule(SETTINGS));
                install(new KafkaBrokerModule(
                        KafkaBrokerSettings.builder("127.0.0.1:1").build()));
            }
        });

        assertThat(injector.getInstance(Broker.class)).isSameAs(injector.getInstance(Broker.class));
        injector.getInstance(Broker.class).close();
    }

    @Test
    void refusesNullSettings() {
        assertThatThrownBy(() -> new KafkaBrokerModule(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("settings");
    }
}
