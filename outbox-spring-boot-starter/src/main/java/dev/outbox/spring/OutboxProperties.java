package dev.outbox.spring;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The outbox's settings under {@code outbox.*}. A setting left out keeps the default of the builder it goes to
 * ({@code Relay.builder()}, {@code JdbiStoreConfig.builder()}, the broker settings), documented there and in the
 * README; the values are checked by those builders when the context starts, and a bad one stops it with a message
 * naming the property.
 *
 * @param source the producing service's name, sent with every message; default {@code spring.application.name}
 * @param broker which broker module publishes when both are on the class path; default: the one that is
 * @param maxPayloadBytes the largest payload accepted at append, in bytes; default 1 MiB
 * @param relay the relay
 * @param store the PostgreSQL tables
 * @param kafka the Kafka broker, when {@code outbox-broker-kafka} is on the class path
 * @param rabbitmq the RabbitMQ broker, when {@code outbox-broker-rabbit} is on the class path
 * @param consumer the deduplicating consumers
 * @param tracing OpenTelemetry, when {@code outbox-tracing-opentelemetry} is on the class path
 */
@ConfigurationProperties("outbox")
public record OutboxProperties(
        String source,
        BrokerKind broker,
        Integer maxPayloadBytes,
        @DefaultValue Relay relay,
        @DefaultValue Store store,
        @DefaultValue Kafka kafka,
        @DefaultValue Rabbitmq rabbitmq,
        @DefaultValue Consumer consumer,
        @DefaultValue Tracing tracing) {

    /** The broker modules the starter knows. */
    public enum BrokerKind {
        /** {@code outbox-broker-kafka}. */
        KAFKA,
        /** {@code outbox-broker-rabbit}. */
        RABBITMQ
    }

    /**
     * The relay ({@code Relay.builder()}).
     *
     * @param enabled whether this application runs a relay; false for one that only appends while another publishes
     * @param autoStartup whether the relay starts with the application context; false to start it yourself (or to
     *     publish in tests with {@code drainNow()} only)
     * @param frequency the longest an idle relay waits before it looks for new messages; default 100 ms
     * @param batchSize most messages fetched and published per round; default 1000
     * @param concurrency workers, each over its own share of the lanes; default 2
     * @param maxAttempts attempts of one message before its lane stops; default 10
     * @param backoff delay between attempts of a failing message
     * @param publishTimeout how long a message may wait for the broker's acknowledgement; default 30 s
     * @param lease how long lanes stay claimed without a heartbeat; default 5 s
     * @param heartbeat how often the lease is renewed; default 1 s
     * @param lagThreshold age of a lane's oldest message past which it counts as behind (and health says so); default
     *     1 min
     * @param maintenanceInterval how often the relay reads its backlog; default 10 s
     */
    public record Relay(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("true") boolean autoStartup,
            Duration frequency,
            Integer batchSize,
            Integer concurrency,
            Integer maxAttempts,
            @DefaultValue Backoff backoff,
            Duration publishTimeout,
            Duration lease,
            Duration heartbeat,
            Duration lagThreshold,
            Duration maintenanceInterval) {}

    /**
     * Exponential backoff ({@code dev.outbox.Backoff}); unset parts keep the default: 100 ms doubling to 30 s, 20%
     * jitter.
     *
     * @param initial the first delay
     * @param max the longest delay
     * @param multiplier the factor between two delays
     * @param jitter the random share of each delay, 0 to 1
     */
    public record Backoff(Duration initial, Duration max, Double multiplier, Double jitter) {}

    /**
     * The PostgreSQL store ({@code JdbiStoreConfig.builder()}).
     *
     * @param migrate whether the tables are created or upgraded at start; false when Flyway or a DBA does it (see
     *     {@code outbox-admin schema})
     * @param schema the schema of the tables, the exactly-once subscribers' {@code outbox_processed_message} among them;
     *     default: the connection's search path
     * @param tablePrefix the prefix of the table names; default {@code outbox}
     * @param lanes the lane count, fixed when the tables are created; default 64
     * @param retention keep acknowledged messages this long; default: delete them on acknowledge
     * @param notifyOnAppend {@code NOTIFY} relays at each appending commit; default false
     */
    public record Store(
            @DefaultValue("true") boolean migrate,
            String schema,
            String tablePrefix,
            Integer lanes,
            Duration retention,
            @DefaultValue("false") boolean notifyOnAppend) {}

    /**
     * The Kafka broker ({@code KafkaBrokerSettings.builder(...)}).
     *
     * @param bootstrapServers {@code host:port[,host:port...]}; default {@code spring.kafka.bootstrap-servers}, else
     *     {@code localhost:9092}
     * @param createTopics create missing topics (with the broker's default partitions and replication) instead of
     *     failing their messages; default false
     * @param clientId prefix of the clients' {@code client.id}; default {@code outbox}
     * @param properties passed to every Kafka client (TLS, SASL, ...)
     */
    public record Kafka(
            String bootstrapServers,
            @DefaultValue("false") boolean createTopics,
            String clientId,
            Map<String, String> properties) {}

    /**
     * The RabbitMQ broker ({@code RabbitBrokerSettings.builder()}).
     *
     * @param uri {@code amqp[s]://user:password@host:port/vhost}; default: made from {@code spring.rabbitmq.host},
     *     {@code port}, {@code username}, {@code password} and {@code virtual-host}, else {@code localhost:5672}
     * @param exchange the topic exchange; default {@code messaging}
     * @param queuePrefix the prefix of the subscriptions' queues; default {@code outbox}
     */
    public record Rabbitmq(String uri, String exchange, String queuePrefix) {}

    /**
     * The deduplicating consumers ({@code Deduplicator.builder()}).
     *
     * @param retention how long a processed message's id is kept; default 7 days
     */
    public record Consumer(Duration retention) {}

    /**
     * Tracing ({@code OutboxTracing}).
     *
     * @param enabled trace appends, publishes and consumers when {@code outbox-tracing-opentelemetry} is on the class
     *     path; the application's {@code OpenTelemetry} bean, else the global one
     * @param baggage carry the appending context's baggage too; default false
     */
    public record Tracing(@DefaultValue("true") boolean enabled, @DefaultValue("false") boolean baggage) {}
}
