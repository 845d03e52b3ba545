package dev.outbox.tracing.opentelemetry.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import dev.outbox.guice.OutboxModule;
import dev.outbox.guice.RelayBroker;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.tracing.opentelemetry.OutboxTracing;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.inject.Qualifier;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.util.Optional;

/**
 * Traces the outbox of {@link OutboxModule}: sets its {@link AppendInterceptor} to {@link
 * OutboxTracing#appendInterceptor()} and the broker its relay publishes through ({@link RelayBroker @RelayBroker}) to
 * {@link OutboxTracing#broker} of the bound {@link Broker}, both through {@link OptionalBinder}, and binds {@link
 * OutboxTracing} for the consumers' side:
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
 * is. To mark duplicates on process spans, add {@code TracingDedupListener.create()} to {@code
 * DedupModule.listeners(binder())}. Installing the module twice with equal settings is harmless.
 */
public final class OpenTelemetryTracingModule extends AbstractModule {
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

    @Qualifier
    @Retention(RetentionPolicy.RUNTIME)
    @interface ForTracing {}

    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), OpenTelemetry.class);
        OptionalBinder.newOptionalBinder(binder(), AppendInterceptor.class)
                .setBinding()
                .to(Key.get(AppendInterceptor.class, ForTracing.class));
        OptionalBinder.newOptionalBinder(binder(), Key.get(Broker.class, RelayBroker.class))
                .setBinding()
                .to(Key.get(Broker.class, ForTracing.class));
    }

    @Provides
    @Singleton
    OutboxTracing tracing(Optional<OpenTelemetry> openTelemetry, Broker broker) {
        return OutboxTracing.builder()
                .openTelemetry(openTelemetry.orElse(null)) // none: the global one, once registered
                .baggage(baggage)
                .messagingSystem(broker.messagingSystem())
                .build();
    }

    @Provides
    @Singleton
    @ForTracing
    AppendInterceptor appendInterceptor(OutboxTracing tracing) {
        return tracing.appendInterceptor();
    }

    @Provides
    @Singleton
    @ForTracing
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
