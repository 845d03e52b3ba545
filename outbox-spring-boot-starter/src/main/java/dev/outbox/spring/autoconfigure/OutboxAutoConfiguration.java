package dev.outbox.spring.autoconfigure;

import dev.outbox.Backoff;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.Outbox;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.broker.kafka.KafkaBroker;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.broker.kafka.TopicPolicy;
import dev.outbox.broker.rabbit.RabbitBroker;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.serializer.jackson.JacksonMessageSerializer;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.PartitionMonitor;
import dev.outbox.spi.Validation;
import dev.outbox.spring.OutboxProperties;
import dev.outbox.spring.OutboxSubscriber;
import dev.outbox.spring.SpringOutbox;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import java.util.List;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The outbox for a Spring Boot application with a {@link DataSource}: the PostgreSQL store (tables migrated at start
 * unless {@code outbox.store.migrate=false}), the JSON serializer, the {@link Outbox} and the {@link SpringOutbox} that
 * appends in Spring-managed transactions, the broker of the broker module on the class path, the relay started and
 * stopped with the context, and the {@link OutboxSubscriber} beans subscribed. Every bean backs off when the
 * application defines its own of the type.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
            "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
            "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
            "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"
        })
@ConditionalOnClass({Outbox.class, JdbiMessageStore.class})
@ConditionalOnBean(DataSource.class)
@EnableConfigurationProperties(OutboxProperties.class)
public class OutboxAutoConfiguration {
    /** Creates the auto-configuration; Spring does. */
    public OutboxAutoConfiguration() {}

    /**
     * Our own JSON mapper, not the application's: the events' wire format is a contract with other services and must
     * not change when the application tunes its web JSON ({@code spring.jackson.*}); define a {@link MessageSerializer}
     * bean to choose otherwise.
     */
    @Bean
    @ConditionalOnMissingBean
    MessageSerializer outboxMessageSerializer() {
        return JacksonMessageSerializer.create();
    }

    @Bean
    @ConditionalOnMissingBean(MessageStore.class)
    JdbiMessageStore outboxMessageStore(DataSource dataSource, OutboxProperties properties) {
        OutboxProperties.Store p = properties.store();
        JdbiStoreConfig config = PropertyNames.check("outbox.store", () -> {
            JdbiStoreConfig.Builder b = JdbiStoreConfig.builder().notifyOnAppend(p.notifyOnAppend());
            if (p.schema() != null) {
                b.schema(p.schema());
            }
            if (p.tablePrefix() != null) {
                b.tablePrefix(p.tablePrefix());
            }
            if (p.lanes() != null) {
                b.lanes(p.lanes());
            }
            if (p.retention() != null) {
                b.retention(p.retention());
            }
            return b.build();
        });
        JdbiMessageStore store = JdbiMessageStore.create(Jdbi.create(dataSource), config);
        if (p.migrate()) {
            store.migrate();
        }
        return store;
    }

    @Bean
    @ConditionalOnMissingBean
    Outbox outbox(
            MessageStore store,
            MessageSerializer serializer,
            OutboxProperties properties,
            ObjectProvider<AppendInterceptor> interceptor,
            ObjectProvider<Broker> broker) {
        return PropertyNames.check("outbox", () -> {
            Outbox.Builder b = Outbox.builder()
                    .store(store)
                    .serializer(serializer)
                    .interceptor(interceptor.getIfAvailable(() -> AppendInterceptor.NONE));
            // The broker's rules for topics, so a topic it cannot take is refused at the append (G6).
            Broker publishing = broker.getIfUnique();
            if (publishing != null) {
                b.topicRules(publishing.topicRules());
            }
            if (properties.maxPayloadBytes() != null) {
                b.maxPayloadBytes(properties.maxPayloadBytes());
            }
            return b.build();
        });
    }

    @Bean
    @ConditionalOnMissingBean
    SpringOutbox springOutbox(Outbox outbox, DataSource dataSource) {
        return SpringOutbox.create(outbox, dataSource);
    }

    @Bean
    @ConditionalOnMissingBean
    SubscriberLifecycle outboxSubscribers(
            List<OutboxSubscriber> subscribers,
            ObjectProvider<Broker> broker,
            DataSource dataSource,
            ObjectProvider<PlatformTransactionManager> transactions,
            OutboxProperties properties,
            ObjectProvider<DedupListener> dedupListeners,
            ObjectProvider<SubscriberLifecycle.HandlerDecorator> decorator,
            ObjectProvider<BrokerDecorator> brokerDecorator) {
        Broker consuming = null;
        if (!subscribers.isEmpty()) {
            consuming = brokerDecorator
                    .getIfAvailable(() -> BrokerDecorator.NONE)
                    .apply(requireBroker(broker, "subscribe " + subscribers.size() + " OutboxSubscriber bean(s)"));
            if (transactions.getIfAvailable() == null) {
                throw new InvalidConfigurationException("OutboxSubscriber beans need a PlatformTransactionManager bean:"
                        + " their handlers run in the application's transactions");
            }
        }
        return new SubscriberLifecycle(
                subscribers,
                consuming,
                SpringConnectionFactory.jdbi(dataSource),
                transactions.getIfAvailable(),
                properties,
                DedupListener.all(dedupListeners.orderedStream().toList()),
                decorator.getIfAvailable(() -> SubscriberLifecycle.HandlerDecorator.NONE));
    }

    static Broker requireBroker(ObjectProvider<Broker> broker, String purpose) {
        Broker b = broker.getIfAvailable();
        if (b != null) {
            return b;
        }
        throw new InvalidConfigurationException("outbox.broker: no broker to " + purpose + ". Add outbox-broker-kafka"
                + " or outbox-broker-rabbit to the class path (with both, set outbox.broker=kafka or rabbitmq)"
                + (purpose.startsWith("publish")
                        ? ", or set outbox.relay.enabled=false in an application that only"
                                + " appends while another one publishes"
                        : ""));
    }

    /** Wraps the broker that publishes and subscribes: tracing when OpenTelemetry is there. */
    @FunctionalInterface
    interface BrokerDecorator extends UnaryOperator<Broker> {
        BrokerDecorator NONE = b -> b;
    }

    /** The relay, unless {@code outbox.relay.enabled=false}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "outbox.relay", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class RelayConfiguration {
        @Bean
        @ConditionalOnMissingBean
        Relay outboxRelay(
                MessageStore store,
                ObjectProvider<Broker> broker,
                OutboxProperties properties,
                Environment environment,
                ObjectProvider<RelayListener> listeners,
                ObjectProvider<PartitionMonitor> monitors,
                ObjectProvider<BrokerDecorator> brokerDecorator) {
            String source = properties.source() != null
                    ? properties.source()
                    : environment.getProperty("spring.application.name");
            if (source == null) {
                throw new InvalidConfigurationException("outbox.source must be set (or spring.application.name): the"
                        + " producing service's name, sent with every message");
            }
            Validation.name(source, "outbox.source", Relay.Builder.MAX_NAME_BYTES);
            Broker publishing = brokerDecorator
                    .getIfAvailable(() -> BrokerDecorator.NONE)
                    .apply(requireBroker(broker, "publish to"));
            OutboxProperties.Relay p = properties.relay();
            return PropertyNames.check("outbox.relay", () -> {
                Relay.Builder b = Relay.builder()
                        .store(store)
                        .broker(publishing)
                        .source(source)
                        .listener(RelayListener.all(listeners.orderedStream().toList()))
                        .monitor(PartitionMonitor.all(monitors.orderedStream().toList()));
                if (p.frequency() != null) {
                    b.frequency(p.frequency());
                }
                if (p.batchSize() != null) {
                    b.batchSize(p.batchSize());
                }
                if (p.concurrency() != null) {
                    b.concurrency(p.concurrency());
                }
                if (p.maxAttempts() != null) {
                    b.maxAttempts(p.maxAttempts());
                }
                b.backoff(PropertyNames.check("outbox.relay.backoff", () -> backoff(p.backoff())));
                if (p.publishTimeout() != null) {
                    b.publishTimeout(p.publishTimeout());
                }
                if (p.lease() != null) {
                    b.lease(p.lease());
                }
                if (p.heartbeat() != null) {
                    b.heartbeat(p.heartbeat());
                }
                if (p.lagThreshold() != null) {
                    b.lagThreshold(p.lagThreshold());
                }
                if (p.maintenanceInterval() != null) {
                    b.maintenanceInterval(p.maintenanceInterval());
                }
                return b.build();
            });
        }

        private static Backoff backoff(OutboxProperties.Backoff p) {
            Backoff d = Backoff.DEFAULT;
            return new Backoff(
                    p.initial() != null ? p.initial() : d.initial(),
                    p.max() != null ? p.max() : d.max(),
                    p.multiplier() != null ? p.multiplier() : d.multiplier(),
                    p.jitter() != null ? p.jitter() : d.jitter());
        }

        @Bean
        RelayLifecycle outboxRelayLifecycle(Relay relay, OutboxProperties properties) {
            return new RelayLifecycle(relay, properties.relay().autoStartup());
        }
    }

    /** Kafka, when it is the broker ({@link OnBroker.Kafka}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = OnBroker.KAFKA)
    @Conditional(OnBroker.Kafka.class)
    static class KafkaConfiguration {
        @Bean
        @ConditionalOnMissingBean(Broker.class)
        KafkaBroker outboxKafkaBroker(OutboxProperties properties, Environment environment) {
            OutboxProperties.Kafka p = properties.kafka();
            String servers = p.bootstrapServers() != null
                    ? p.bootstrapServers()
                    : Binder.get(environment)
                            .bind("spring.kafka.bootstrap-servers", Bindable.listOf(String.class))
                            .map(l -> String.join(",", l))
                            .orElse("localhost:9092");
            KafkaBrokerSettings settings = PropertyNames.check("outbox.kafka", () -> {
                KafkaBrokerSettings.Builder b = KafkaBrokerSettings.builder(servers);
                if (p.createTopics()) {
                    b.topicPolicy(TopicPolicy.createMissing());
                }
                if (p.clientId() != null) {
                    b.clientId(p.clientId());
                }
                if (p.properties() != null) {
                    b.commonProperties(p.properties());
                }
                return b.build();
            });
            return KafkaBroker.create(settings);
        }
    }

    /** RabbitMQ, when it is the broker ({@link OnBroker.Rabbit}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = OnBroker.RABBIT)
    @Conditional(OnBroker.Rabbit.class)
    static class RabbitConfiguration {
        @Bean
        @ConditionalOnMissingBean(Broker.class)
        RabbitBroker outboxRabbitBroker(OutboxProperties properties, Environment environment) {
            OutboxProperties.Rabbitmq p = properties.rabbitmq();
            RabbitBrokerSettings settings = PropertyNames.check("outbox.rabbitmq", () -> {
                RabbitBrokerSettings.Builder b = RabbitBrokerSettings.builder();
                if (p.uri() != null) {
                    b.uri(p.uri());
                } else {
                    // Spring Boot's own connection settings, where the application has them.
                    String host = environment.getProperty("spring.rabbitmq.host");
                    if (host != null) {
                        b.host(host);
                    }
                    Integer port = environment.getProperty("spring.rabbitmq.port", Integer.class);
                    if (port != null) {
                        b.port(port);
                    }
                    String vhost = environment.getProperty("spring.rabbitmq.virtual-host");
                    if (vhost != null) {
                        b.virtualHost(vhost);
                    }
                    String user = environment.getProperty("spring.rabbitmq.username");
                    if (user != null) {
                        b.credentials(user, environment.getProperty("spring.rabbitmq.password", ""));
                    }
                }
                if (p.exchange() != null) {
                    b.exchange(p.exchange());
                }
                if (p.queuePrefix() != null) {
                    b.queuePrefix(p.queuePrefix());
                }
                return b.build();
            });
            return RabbitBroker.create(settings);
        }
    }
}
