package dev.outbox.consumer.dedup.guice;

import com.google.inject.Binder;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.PrivateModule;
import com.google.inject.Provider;
import com.google.inject.Singleton;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.name.Names;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.consumer.dedup.internal.Checks;
import dev.outbox.guice.OptionalBindings;
import dev.outbox.spi.Validation;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;

/**
 * Binds a {@link Deduplicator} for one consumer, as {@code @Named("<consumer>") Deduplicator} (see {@link
 * #key(String)}), built from a {@link Jdbi} bound by another module (the store's, or the application's).
 *
 * <p>Optional bindings it reads (see {@link OptionalBindings}): every {@link DedupListener} added with {@link
 * #listeners(Binder)}, and a {@link Clock}, bound directly or set with {@link OptionalBinder}, shared with the core's
 * {@code OutboxModule}. The
 * deduplicator is built, not started: call {@link Deduplicator#migrate()} and {@link Deduplicator#startCleanup()} at
 * startup, and {@link Deduplicator#close()} on shutdown.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *         new DedupModule("billing").withSettings(b -> b.retention(Duration.ofDays(14))),
 *         binder -> binder.bind(Jdbi.class).toInstance(jdbi));
 * Deduplicator dedup = injector.getInstance(DedupModule.key("billing"));
 * }</pre>
 *
 * One module per consumer; modules of different consumers can be installed together. A private module that exposes
 * its deduplicator's key only; installing it twice with equal arguments is harmless.
 */
public final class DedupModule extends PrivateModule {
    private static final Consumer<Deduplicator.Builder> NO_SETTINGS = b -> {};
    private static final Key<Set<DedupListener>> LISTENERS = Key.get(new TypeLiteral<Set<DedupListener>>() {});

    private final String consumer;
    private final DedupTable table;
    private final Consumer<Deduplicator.Builder> settings;

    /**
     * A deduplicator for {@code consumer} on {@link DedupTable#DEFAULT}.
     *
     * @throws InvalidConfigurationException if {@code consumer} is not a valid consumer name
     */
    public DedupModule(String consumer) {
        this(consumer, DedupTable.DEFAULT);
    }

    /**
     * A deduplicator for {@code consumer} on {@code table}.
     *
     * @throws InvalidConfigurationException if {@code consumer} is not a valid consumer name or {@code table} is null
     */
    public DedupModule(String consumer, DedupTable table) {
        this(consumer, table, NO_SETTINGS);
    }

    private DedupModule(String consumer, DedupTable table, Consumer<Deduplicator.Builder> settings) {
        this.consumer = Checks.consumer(consumer, "consumer");
        this.table = Validation.notNull(table, "table");
        this.settings = settings;
    }

    /**
     * A module that also applies {@code settings} to the builder (retention, cleanup, isolation), after the Jdbi,
     * consumer, table, listeners and clock are set. Settings are checked when the deduplicator is built, at injection.
     *
     * @throws InvalidConfigurationException if {@code settings} is null
     */
    public DedupModule withSettings(Consumer<Deduplicator.Builder> settings) {
        return new DedupModule(consumer, table, this.settings.andThen(Validation.notNull(settings, "settings")));
    }

    /**
     * The key a {@link DedupModule} binds the deduplicator of {@code consumer} to.
     *
     * @throws InvalidConfigurationException if {@code consumer} is not a valid consumer name
     */
    public static Key<Deduplicator> key(String consumer) {
        return Key.get(Deduplicator.class, Names.named(Checks.consumer(consumer, "consumer")));
    }

    /**
     * The set of listeners every deduplicator tells; add yours with {@code listeners(binder()).addBinding()} in a module
     * of your own (not a private one: Guice keeps a private module's additions to itself).
     */
    public static Multibinder<DedupListener> listeners(Binder binder) {
        return Multibinder.newSetBinder(binder, DedupListener.class);
    }

    @Override
    protected void configure() {
        Provider<Jdbi> jdbi = getProvider(Jdbi.class);
        Provider<Injector> injector = getProvider(Injector.class);
        Key<Deduplicator> key = key(consumer);
        bind(key)
                .toProvider(() -> build(
                        jdbi.get(),
                        OptionalBindings.get(injector.get(), LISTENERS).orElse(Set.of()),
                        OptionalBindings.get(injector.get(), Key.get(Clock.class))))
                .in(Singleton.class);
        expose(key);
    }

    private Deduplicator build(Jdbi jdbi, Set<DedupListener> listeners, Optional<Clock> clock) {
        Deduplicator.Builder builder = Deduplicator.builder()
                .jdbi(jdbi)
                .consumer(consumer)
                .table(table)
                .listener(DedupListener.all(List.copyOf(listeners)))
                .clock(clock.orElseGet(Clock::systemUTC));
        settings.accept(builder);
        return builder.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DedupModule m
                && consumer.equals(m.consumer)
                && table.equals(m.table)
                && settings == m.settings;
    }

    @Override
    public int hashCode() {
        return Objects.hash(consumer, table, System.identityHashCode(settings));
    }
}
