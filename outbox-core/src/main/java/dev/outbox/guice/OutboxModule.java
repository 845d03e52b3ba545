package dev.outbox.guice;

import com.google.inject.Binder;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.PrivateModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.Multibinder;
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
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Binds the {@link Outbox} and the {@link Relay} from a {@link MessageStore}, a {@link Broker} and (for typed events) a
 * {@link MessageSerializer} bound by other modules: a store module, a broker module, a serializer module. Install one of
 * each; switching brokers is switching the broker module.
 *
 * <p>Optional bindings it reads, bound directly, set with {@link com.google.inject.multibindings.OptionalBinder} or
 * exposed by another module (see {@link OptionalBindings}): every {@link PartitionMonitor} added with {@link #monitors},
 * a {@link MessageSerializer}, a {@link RelayListener}, a {@link Clock}, an {@link AppendInterceptor} for the outbox and
 * a {@link RelayBroker @RelayBroker} {@link Broker} for the relay (by default the bound {@code Broker}). The relay is
 * built, not started: call {@link Relay#start()} and, on shutdown, {@link Relay#close()}.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *         binder -> binder.bind(Jdbi.class).toInstance(jdbi),
 *         new OutboxModule("warehouse"),
 *         new JdbiStoreModule(),
 *         new KafkaBrokerModule(kafkaSettings),
 *         new JacksonSerializerModule());
 * injector.getInstance(Relay.class).start();
 * }</pre>
 *
 * A private module that exposes {@link Outbox} and {@link Relay} only. Installing it twice with equal arguments is
 * harmless.
 */
public final class OutboxModule extends PrivateModule {
    private static final Key<Set<PartitionMonitor>> MONITORS = Key.get(new TypeLiteral<Set<PartitionMonitor>>() {});
    private static final Consumer<Relay.Builder> NO_SETTINGS = b -> {};

    private final String source;
    private final Consumer<Relay.Builder> relaySettings;

    /**
     * @param source the producing service's name, sent with every message (see {@link Relay.Builder#source})
     * @throws dev.outbox.InvalidConfigurationException if {@code source} is not a valid name
     */
    public OutboxModule(String source) {
        this(source, NO_SETTINGS);
    }

    private OutboxModule(String source, Consumer<Relay.Builder> relaySettings) {
        this.source = Validation.name(source, "source", Relay.Builder.MAX_NAME_BYTES);
        this.relaySettings = Validation.notNull(relaySettings, "relaySettings");
    }

    /**
     * A module that also applies {@code settings} to the relay builder (batch size, frequency, ...).
     *
     * @throws dev.outbox.InvalidConfigurationException if {@code settings} is null
     */
    public OutboxModule withRelay(Consumer<Relay.Builder> settings) {
        Validation.notNull(settings, "settings");
        return new OutboxModule(source, relaySettings.andThen(settings));
    }

    /**
     * The set of monitors the relay tells; add yours with {@code monitors(binder()).addBinding().to(...)} in a module of
     * your own (not a private one: Guice keeps a private module's additions to itself).
     */
    public static Multibinder<PartitionMonitor> monitors(Binder binder) {
        return Multibinder.newSetBinder(binder, PartitionMonitor.class);
    }

    @Override
    protected void configure() {
        expose(Outbox.class);
        expose(Relay.class);
    }

    @Provides
    @Singleton
    Outbox outbox(MessageStore store, Injector injector) {
        return Outbox.builder()
                .store(store)
                .serializer(OptionalBindings.get(injector, Key.get(MessageSerializer.class))
                        .orElse(null))
                .interceptor(OptionalBindings.get(injector, Key.get(AppendInterceptor.class))
                        .orElse(AppendInterceptor.NONE))
                .build();
    }

    @Provides
    @Singleton
    Relay relay(MessageStore store, Broker broker, Injector injector) {
        Relay.Builder builder = Relay.builder()
                .store(store)
                .broker(OptionalBindings.get(injector, Key.get(Broker.class, RelayBroker.class))
                        .orElse(broker))
                .source(source)
                .monitor(PartitionMonitor.all(
                        List.copyOf(OptionalBindings.get(injector, MONITORS).orElse(Set.of()))))
                .listener(OptionalBindings.get(injector, Key.get(RelayListener.class))
                        .orElse(RelayListener.NOOP))
                .clock(OptionalBindings.get(injector, Key.get(Clock.class)).orElse(Clock.systemUTC()));
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
