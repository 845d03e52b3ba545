package dev.outbox.broker.rabbit.guice;

import com.google.inject.PrivateModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.spi.Broker;

/**
 * Binds the {@link Broker} (and the same instance as {@link RabbitBroker}) to RabbitMQ, for {@code
 * dev.outbox.guice.OutboxModule} to build the outbox and the relay on. Switching an application from Kafka is replacing
 * the Kafka broker module with this one and its settings:
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *         new OutboxModule("warehouse"),
 *         new JdbiStoreModule(),
 *         new RabbitBrokerModule(RabbitBrokerSettings.builder()
 *                 .uri("amqp://warehouse:secret@rabbit.internal/warehouse")
 *                 .build()));
 * }</pre>
 *
 * The broker is a singleton that connects at its first use, not when the injector is created; close it on shutdown.
 * A private module that exposes only those two bindings; installing it twice with equal settings is harmless.
 */
public final class RabbitBrokerModule extends PrivateModule {
    private final RabbitBrokerSettings settings;

    /** @throws InvalidConfigurationException if {@code settings} is null */
    public RabbitBrokerModule(RabbitBrokerSettings settings) {
        if (settings == null) {
            throw new InvalidConfigurationException("settings must not be null");
        }
        this.settings = settings;
    }

    @Override
    protected void configure() {
        bind(Broker.class).to(RabbitBroker.class);
        expose(Broker.class);
        expose(RabbitBroker.class);
    }

    @Provides
    @Singleton
    RabbitBroker broker() {
        return RabbitBroker.create(settings);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RabbitBrokerModule m && settings.equals(m.settings);
    }

    @Override
    public int hashCode() {
        return settings.hashCode();
    }
}
