package dev.outbox.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.PartitionMonitor;
import dev.outbox.spi.Validation;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Binds the {@link Outbox} and the {@link Relay} from a {@link MessageStore}, a {@link Broker} and (for typed events) a
 * {@link MessageSerializer} bound by other modules: a store module, a broker module, a serializer module. Install one of
 * each; switching brokers is switching the broker module.
 *
 * <p>Optional bindings it reads: every {@link PartitionMonitor} added with {@link #monitors}, a {@link RelayListener},
 * a {@link Clock}, an {@link AppendInterceptor} for the outbox and a {@link RelayBroker @RelayBroker} {@link Broker} for
 * the relay (by default the bound {@code Broker}), each set with {@link OptionalBinder}. The relay is built, not
 * started: call {@link Relay#start()} and, on shutdown, {@link Relay#close()}.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *         new OutboxModule("warehouse"),
 *         new JdbiStoreModule(), // reads the Jdbi bound by your own module
 *         new KafkaBrokerModule(kafkaSettings),
 *         new JacksonSerializerModule());
 * injector.getInstance(Relay.class).start();
 * }</pre>
 *
 * Installing it twice with equal arguments is harmless.
 */
public final class OutboxModule extends AbstractModule {
    private final String source;
    private final Consumer<Relay.Builder> relaySettings;

    /**
     * @param source the producing service's name, sent with every message (see {@link Relay.Builder#source})
     */
    public OutboxModule(String source) {
        this(source, b -> {});
    }

    private OutboxModule(String source, Consumer<Relay.Builder> relaySettings) {
        this.source = Validation.name(source, "source", Relay.Builder.MAX_NAME_BYTES);
        this.relaySettings = Validation.notNull(relaySettings, "relaySettings");
    }

    /** A module that also applies {@code settings} to the relay builder (batch size, frequency, ...). */
    public OutboxModule withRelay(Consumer<Relay.Builder> settings) {
        Validation.notNull(settings, "settings");
        return new OutboxModule(source, relaySettings.andThen(settings));
    }

    /** The set of monitors the relay tells; add yours with {@code monitors(binder()).addBinding().to(...)}. */
    public static Multibinder<PartitionMonitor> monitors(com.google.inject.Binder binder) {
        return Multibinder.newSetBinder(binder, PartitionMonitor.class);
    }

    @Override
    protected void configure() {
        monitors(binder());
        OptionalBinder.newOptionalBinder(binder(), MessageSerializer.class);
        OptionalBinder.newOptionalBinder(binder(), RelayListener.class);
        OptionalBinder.newOptionalBinder(binder(), Clock.class);
        OptionalBinder.newOptionalBinder(binder(), AppendInterceptor.class);
        OptionalBinder.newOptionalBinder(binder(), Key.get(Broker.class, RelayBroker.class))
                .setDefault()
                .to(Broker.class);
    }

    @Provides
    @Singleton
    Outbox outbox(MessageStore store, Optional<MessageSerializer> serializer, Optional<AppendInterceptor> interceptor) {
        return Outbox.builder()
                .store(store)
                .serializer(serializer.orElse(null))
                .interceptor(interceptor.orElse(AppendInterceptor.NONE))
                .build();
    }

    @Provides
    @Singleton
    Relay relay(
            MessageStore store,
            @RelayBroker Broker broker,
            Set<PartitionMonitor> monitors,
            Optional<RelayListener> listener,
            Optional<Clock> clock) {
        Relay.Builder builder = Relay.builder()
                .store(store)
                .broker(broker)
                .source(source)
                .monitor(PartitionMonitor.all(java.util.List.copyOf(monitors)))
                .listener(listener.orElse(RelayListener.NOOP))
                .clock(clock.orElse(Clock.systemUTC()));
        relaySettings.accept(builder);
        return builder.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutboxModule m && source.equals(m.source) && relaySettings == m.relaySettings;
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, System.identityHashCode(relaySettings));
    }
}
