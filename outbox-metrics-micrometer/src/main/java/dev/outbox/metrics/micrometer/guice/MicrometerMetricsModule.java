package dev.outbox.metrics.micrometer.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Inject;
import com.google.inject.Key;
import com.google.inject.Provider;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.RelayListener;
import dev.outbox.guice.OutboxModule;
import dev.outbox.metrics.micrometer.BacklogMetrics;
import dev.outbox.metrics.micrometer.MicrometerPartitionMonitor;
import dev.outbox.metrics.micrometer.MicrometerRelayMetrics;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.PartitionMonitor;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Qualifier;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Records the relay's metrics in the {@link MeterRegistry} the application binds, through the core's {@link
 * OutboxModule} extension points: it sets the {@link RelayListener} (an {@link OptionalBinder}) to {@link
 * MicrometerRelayMetrics} together with {@link BacklogMetrics} (fed by the relay's own backlog reading, the one its lag
 * check uses, so nothing else reads the store), and adds a {@link MicrometerPartitionMonitor} to {@link
 * OutboxModule#monitors}. {@code Optional<BacklogMetrics>} is those gauges, to close at shutdown.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *         new OutboxModule("warehouse"), new JdbiStoreModule(), new RabbitBrokerModule(settings),
 *         new MicrometerMetricsModule(),
 *         binder -> binder.bind(MeterRegistry.class).toInstance(prometheusRegistry));
 * }</pre>
 *
 * <p>Metrics are optional: with no {@link MeterRegistry} bound, the listener and monitor do nothing, {@code
 * Optional<BacklogMetrics>} is empty, and everything else works as without this module. Installing it twice with equal
 * arguments is harmless.
 *
 * <p>Unlike Outbox's other modules it is not a {@link com.google.inject.PrivateModule}: it adds its monitor to {@link
 * OutboxModule#monitors}, and Guice takes set elements only from outside private modules. What it builds for itself is
 * bound under a qualifier private to this package, so nothing else can depend on it.
 */
public final class MicrometerMetricsModule extends AbstractModule {
    private final Duration backlogInterval;
    private final int maxLaneTags;

    /** Backlog read every {@link BacklogMetrics#DEFAULT_INTERVAL}, per-lane gauges up to 64 lanes. */
    public MicrometerMetricsModule() {
        this(BacklogMetrics.DEFAULT_INTERVAL, BacklogMetrics.DEFAULT_MAX_LANE_TAGS);
    }

    /**
     * @param backlogInterval time between two readings of the store's backlog by {@link BacklogMetrics#start()}, for a
     *     process that runs no relay (with a relay, the relay's {@code maintenanceInterval} sets it), positive
     * @param maxLaneTags per-lane backlog gauges only when the store has at most this many lanes (0 for none)
     * @throws InvalidConfigurationException naming the bad argument
     */
    public MicrometerMetricsModule(Duration backlogInterval, int maxLaneTags) {
        if (backlogInterval == null || backlogInterval.isNegative() || backlogInterval.isZero()) {
            throw new InvalidConfigurationException(
                    "backlogInterval must be a positive duration, was " + backlogInterval);
        }
        if (maxLaneTags < 0) {
            throw new InvalidConfigurationException("maxLaneTags must be zero or positive, was " + maxLaneTags);
        }
        this.backlogInterval = backlogInterval;
        this.maxLaneTags = maxLaneTags;
    }

    @Qualifier
    @Retention(RetentionPolicy.RUNTIME)
    @interface ForMetrics {}

    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), MeterRegistry.class);
        OptionalBinder.newOptionalBinder(binder(), RelayListener.class)
                .setBinding()
                .to(Key.get(RelayListener.class, ForMetrics.class));
        OutboxModule.monitors(binder()).addBinding().to(Key.get(PartitionMonitor.class, ForMetrics.class));
        OptionalBinder.newOptionalBinder(binder(), BacklogMetrics.class)
                .setBinding()
                .toProvider(new BacklogProvider(backlogInterval, maxLaneTags))
                .in(Singleton.class);
    }

    @Provides
    @Singleton
    @ForMetrics
    RelayListener relayListener(Optional<MeterRegistry> registry, Optional<BacklogMetrics> backlog) {
        if (registry.isEmpty()) {
            return RelayListener.NOOP;
        }
        RelayListener relay = MicrometerRelayMetrics.create(registry.get());
        return backlog.<RelayListener>map(b -> RelayListener.all(List.of(relay, b)))
                .orElse(relay);
    }

    @Provides
    @Singleton
    @ForMetrics
    PartitionMonitor partitionMonitor(Optional<MeterRegistry> registry) {
        return registry.<PartitionMonitor>map(MicrometerPartitionMonitor::create)
                .orElse(PartitionMonitor.NOOP);
    }

    /** Null (an absent optional) without a registry. */
    private static final class BacklogProvider implements Provider<BacklogMetrics> {
        private final Duration interval;
        private final int maxLaneTags;

        @Inject
        private Optional<MeterRegistry> registry;

        @Inject
        private Provider<MessageStore> store;

        BacklogProvider(Duration interval, int maxLaneTags) {
            this.interval = interval;
            this.maxLaneTags = maxLaneTags;
        }

        @Override
        public BacklogMetrics get() {
            return registry.map(r -> BacklogMetrics.builder(store.get(), r)
                            .interval(interval)
                            .maxLaneTags(maxLaneTags)
                            .build())
                    .orElse(null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BacklogProvider p && interval.equals(p.interval) && maxLaneTags == p.maxLaneTags;
        }

        @Override
        public int hashCode() {
            return Objects.hash(interval, maxLaneTags);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MicrometerMetricsModule m
                && backlogInterval.equals(m.backlogInterval)
                && maxLaneTags == m.maxLaneTags;
    }

    @Override
    public int hashCode() {
        return Objects.hash(backlogInterval, maxLaneTags);
    }
}
