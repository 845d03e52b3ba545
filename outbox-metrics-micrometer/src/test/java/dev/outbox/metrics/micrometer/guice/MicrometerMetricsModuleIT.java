package dev.outbox.metrics.micrometer.guice;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.TypeLiteral;
import dev.outbox.LaneBacklog;
import dev.outbox.Message;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.guice.OutboxModule;
import dev.outbox.metrics.micrometer.BacklogMetrics;
import dev.outbox.spi.Broker;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.store.jdbi.guice.JdbiStoreModule;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The module wires the metrics from a bound registry, and stays out of the way without one. */
class MicrometerMetricsModuleIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger tables = new AtomicInteger();
    private static final Key<Optional<BacklogMetrics>> BACKLOG = Key.get(new TypeLiteral<>() {});
    private static final Key<Optional<RelayListener>> LISTENER = Key.get(new TypeLiteral<>() {});

    private final RecordingBroker broker = new RecordingBroker();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Injector injector(Module... extra) {
        JdbiStoreConfig config = JdbiStoreConfig.builder()
                .tablePrefix("metrics_guice" + tables.incrementAndGet())
                .lanes(4)
                .build();
        List<Module> modules = new ArrayList<>(List.of(
                new OutboxModule("metrics-guice").withRelay(b -> b.heartbeat(Duration.ofMillis(200))),
                new JdbiStoreModule(config),
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(Jdbi.class).toInstance(pg.jdbi());
                        bind(Broker.class).toInstance(broker);
                    }
                }));
        modules.addAll(List.of(extra));
        Injector injector = Guice.createInjector(modules);
        injector.getInstance(JdbiMessageStore.class).migrate();
        toClose.add(injector.getInstance(Relay.class));
        return injector;
    }

    private void appendAndDrain(Injector injector) {
        JdbiOutbox outbox = injector.getInstance(JdbiOutbox.class);
        pg.jdbi().useTransaction(h -> outbox.in(h)
                .append(Message.builder("Guice.Test")
                        .type("T")
                        .payload("x", "text/plain")
                        .build()));
        injector.getInstance(Relay.class).drainNow();
    }

    @Test
    void withARegistryTheRelayIsMeasured() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Injector injector = injector(
                new MicrometerMetricsModule(Duration.ofMillis(100), 4),
                new MicrometerMetricsModule(Duration.ofMillis(100), 4), // installing twice is harmless
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(MeterRegistry.class).toInstance(registry);
                    }
                });
        RelayListener listener = injector.getInstance(LISTENER).orElseThrow();
        appendAndDrain(injector);
        assertThat(registry.find("outbox.relay.published")
                        .tag("topic", "Guice.Test")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.find("outbox.relay.lanes.stopped").gauge()).isNotNull();

        BacklogMetrics backlog = injector.getInstance(BACKLOG).orElseThrow();
        assertThat(injector.getInstance(BACKLOG).orElseThrow()).isSameAs(backlog);
        toClose.add(backlog);
        // The relay's own reading feeds the gauges: the listener it was given passes it on.
        listener.backlog(List.of(new LaneBacklog(1, 5, false, Optional.empty(), false)));
        assertThat(registry.find("outbox.backlog").gauge().value()).isEqualTo(5);
        assertThat(registry.find("outbox.lane.backlog").gauges()).hasSize(4);
        backlog.refresh();
        assertThat(registry.find("outbox.backlog").gauge().value()).isZero();
    }

    @Test
    void withoutARegistryNothingIsRecordedAndNothingBreaks() {
        Injector injector = injector(new MicrometerMetricsModule());
        assertThat(injector.getInstance(LISTENER)).contains(RelayListener.NOOP);
        assertThat(injector.getInstance(BACKLOG)).isEmpty();
        appendAndDrain(injector);
        assertThat(broker.published()).hasSize(1);
    }
}
