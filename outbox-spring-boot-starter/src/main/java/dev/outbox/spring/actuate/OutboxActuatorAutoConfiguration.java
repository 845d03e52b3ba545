package dev.outbox.spring.actuate;

import dev.outbox.Relay;
import dev.outbox.spi.MessageStore;
import dev.outbox.spring.OutboxProperties;
import dev.outbox.spring.autoconfigure.OutboxAutoConfiguration;
import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The {@code outbox} health indicator and endpoint, for an application that runs a relay and has Actuator. */
@AutoConfiguration(after = OutboxAutoConfiguration.class)
@ConditionalOnBean(Relay.class)
public class OutboxActuatorAutoConfiguration {
    /** Creates the auto-configuration; Spring does. */
    public OutboxActuatorAutoConfiguration() {}

    @Bean
    @ConditionalOnMissingBean
    BacklogReading outboxBacklogReading() {
        return new BacklogReading(Clock.systemUTC());
    }

    /** Health, with {@code spring-boot-health}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("outbox")
    static class Health {
        @Bean
        @ConditionalOnMissingBean
        OutboxHealthIndicator outboxHealthIndicator(Relay relay, BacklogReading backlog, OutboxProperties properties) {
            Duration threshold = properties.relay().lagThreshold() != null
                    ? properties.relay().lagThreshold()
                    : Duration.ofMinutes(1);
            return new OutboxHealthIndicator(relay, backlog, threshold);
        }
    }

    /** The endpoint, with Actuator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Endpoint.class)
    @ConditionalOnAvailableEndpoint(OutboxEndpoint.class)
    static class Management {
        @Bean
        @ConditionalOnMissingBean
        OutboxEndpoint outboxEndpoint(Relay relay, MessageStore store, BacklogReading backlog) {
            return new OutboxEndpoint(relay, store, backlog);
        }
    }
}
