package dev.outbox.spring.autoconfigure;

import dev.outbox.Outbox;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.spring.OutboxProperties;
import dev.outbox.tracing.opentelemetry.OutboxTracing;
import dev.outbox.tracing.opentelemetry.TracingDedupListener;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Traces the outbox when {@code outbox-tracing-opentelemetry} and the OpenTelemetry API are on the class path, as
 * {@code OpenTelemetryTracingModule} does under Guice: a span per appended message ({@link
 * OutboxTracing#appendInterceptor()}, which also stores the trace context in the message), publish spans from the
 * relay and process spans around every subscriber's handler ({@link OutboxTracing#broker}), and duplicates marked on
 * them ({@link TracingDedupListener}). It uses the application's {@link OpenTelemetry} bean, else the global instance
 * once one is registered. {@code outbox.tracing.enabled=false} turns it off.
 */
@AutoConfiguration(
        after = OutboxAutoConfiguration.class,
        afterName = "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration")
@ConditionalOnClass({OutboxTracing.class, OpenTelemetry.class})
@ConditionalOnBean(Outbox.class)
@ConditionalOnProperty(prefix = "outbox.tracing", name = "enabled", havingValue = "true", matchIfMissing = true)
public class OutboxTracingAutoConfiguration {
    /** Creates the auto-configuration; Spring does. */
    public OutboxTracingAutoConfiguration() {}

    @Bean
    @ConditionalOnMissingBean
    OutboxTracing outboxTracing(
            ObjectProvider<OpenTelemetry> openTelemetry, ObjectProvider<Broker> broker, OutboxProperties properties) {
        OutboxTracing.Builder b = OutboxTracing.builder()
                .openTelemetry(openTelemetry.getIfAvailable()) // none: the global one, once registered
                .baggage(properties.tracing().baggage());
        Broker publishing = broker.getIfAvailable();
        if (publishing != null) {
            b.messagingSystem(publishing.messagingSystem());
        }
        return PropertyNames.check("outbox.tracing", b::build);
    }

    @Bean
    AppendInterceptor outboxTracingInterceptor(OutboxTracing tracing) {
        return tracing.appendInterceptor();
    }

    @Bean
    OutboxAutoConfiguration.BrokerDecorator outboxTracingBroker(OutboxTracing tracing) {
        return tracing::broker;
    }

    @Bean
    DedupListener outboxTracingDedupListener() {
        return TracingDedupListener.create();
    }
}
