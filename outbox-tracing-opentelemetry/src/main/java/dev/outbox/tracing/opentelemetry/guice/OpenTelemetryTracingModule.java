package dev.outbox.tracing.opentelemetry.guice;

import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.PrivateModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.outbox.guice.OptionalBindings;
import dev.outbox.guice.OutboxModule;
import dev.outbox.guice.RelayBroker;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.tracing.opentelemetry.OutboxTracing;
import io.opentelemetry.api.OpenTelemetry;

/**
 * Traces the outbox of {@link OutboxModule}: binds its {@link AppendInterceptor} to {@link
 * OutboxTracing#appendInterceptor()} and the broker its relay publishes through ({@link RelayBroker @RelayBroker}) to
 * {@link OutboxTracing#broker} of the bound {@link Broker}, and binds {@link OutboxTracing} for the consumers' side. A
 * private module that exposes those three bindings only:
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *         new OutboxModule("warehouse"), new JdbiStoreModule(), new KafkaBrokerModule(settings),
 *         new OpenTelemetryTracingModule(),
 *         binder -> binder.bind(OpenTelemetry.class).toInstance(openTelemetry)); // else the global one
 * Broker consuming = injector.getInstance(OutboxTracing.class).broker(injector.getInstance(Broker.class));
 * consuming.subscribe(spec, dedup.wrap(handler)); // process spans
 * }</pre>
 *
 * Append spans take their {@code messaging.system} from the bound broker. The plain {@code Broker} binding stays as it
 * is. An {@link OpenTelemetry} bound directly or through an {@code OptionalBinder} is used, else the global one (see
 * {@link OptionalBindings}). To mark duplicates on process spans, add {@code TracingDedupListener.create()} to {@code
 * DedupModule.listeners(binder())}. Installing the module twice with equal settings is harmless.
 */
public final class OpenTelemetryTracingModule extends PrivateModule {
    private final boolean baggage;

    /** Trace context without baggage. */
    public OpenTelemetryTracingModule() {
        this(false);
    }

    private OpenTelemetryTracingModule(boolean baggage) {
        this.baggage = baggage;
    }

    /** A module whose messages also carry the appending context's baggage (see {@code Builder.baggage}). */
    public OpenTelemetryTracingModule withBaggage() {
        return new OpenTelemetryTracingModule(true);
    }

    @Override
    protected void configure() {
        expose(OutboxTracing.class);
        expose(AppendInterceptor.class);
        expose(Key.get(Broker.class, RelayBroker.class));
    }

    @Provides
    @Singleton
    OutboxTracing tracing(Injector injector, Broker broker) {
        return OutboxTracing.builder()
                .openTelemetry(OptionalBindings.get(injector, Key.get(OpenTelemetry.class))
                        .orElse(null)) // none: the global one, once registered
                .baggage(baggage)
                .messagingSystem(broker.messagingSystem())
                .build();
    }

    @Provides
    @Singleton
    AppendInterceptor appendInterceptor(OutboxTracing tracing) {
        return tracing.appendInterceptor();
    }

    @Provides
    @Singleton
    @RelayBroker
    Broker relayBroker(OutboxTracing tracing, Broker broker) {
        return tracing.broker(broker);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpenTelemetryTracingModule m && baggage == m.baggage;
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(baggage);
    }
}
