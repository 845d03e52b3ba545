package dev.outbox.broker.kafka.guice;

import com.google.inject.PrivateModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.spi.Broker;
import java.util.Optional;

/**
 * Binds {@link Broker} (and {@link KafkaBroker}) to one {@link KafkaBroker} built from the given settings. Install it
 * next to {@link dev.outbox.guice.OutboxModule}, which builds the outbox and the relay on top; switching to RabbitMQ is
 * switching this module for the RabbitMQ one.
 *
 * <pre>{@code
 * Guice.createInjector(
 *         new OutboxModule("warehouse"),
 *         new KafkaBrokerModule(KafkaBrokerSettings.builder("kafka-1:9092,kafka-2:9092").build()),
 *         ...);
 * }</pre>
 *
 * The broker is created on first injection and connects on first use; the application closes it on shutdown (after
 * the relay). A private module that exposes those two bindings only; installing it twice with equal settings is
 * harmless.
 */
public final class KafkaBrokerModule extends PrivateModule {
    private final KafkaBrokerSettings settings;

    /**
     * @param settings how to reach Kafka
     * @throws InvalidConfigurationException if {@code settings} is null
     */
    public KafkaBrokerModule(KafkaBrokerSettings settings) {
        this.settings = Optional.ofNullable(settings)
                .orElseThrow(() -> new InvalidConfigurationException("settings must not be null"));
    }

    @Override
    protected void configure() {
        bind(Broker.class).to(KafkaBroker.class);
        expose(Broker.class);
        expose(KafkaBroker.class);
    }

    @Provides
    @Singleton
    KafkaBroker kafkaBroker() {
        return KafkaBroker.create(settings);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaBrokerModule m && settings.equals(m.settings);
    }

    @Override
    public int hashCode() {
        return settings.hashCode();
    }
}
