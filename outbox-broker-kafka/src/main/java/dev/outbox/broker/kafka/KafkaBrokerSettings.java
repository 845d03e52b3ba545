package dev.outbox.broker.kafka;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.broker.kafka.internal.TopicPatterns;
import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * How {@link KafkaBroker} reaches Kafka and treats topics. Immutable, with value equality; built with {@link
 * #builder(String)}.
 *
 * <p>Client properties are passed through to the Kafka clients as given, so TLS and SASL are configured the usual way
 * ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}), in {@link Builder#commonProperty} for every client or per
 * client. A few properties are the adapter's and cannot be set, because its guarantees rest on them: the serializers,
 * {@code acks=all} and {@code enable.idempotence=true} on the producer, no transactions, the consumer group (the
 * subscription's name) and manual offset commits. {@link #toString()} never shows the values of properties that may
 * hold secrets.
 *
 * <p>The adapter's own defaults, which a property given here overrides:
 *
 * <ul>
 *   <li>producer: {@code linger.ms=0} (the relay hands a whole round to the producer at once and then waits for it,
 *       so lingering would only delay the round; records sent while a request is in flight still travel together),
 *       {@code request.timeout.ms=10000}, {@code delivery.timeout.ms=25000} (so every publish future completes inside the relay's default 30 s publish timeout), {@code max.block.ms=10000} (the
 *       longest a publish call can wait for metadata of a topic when Kafka is unreachable);
 *   <li>consumer: {@code auto.offset.reset=earliest}, so a new subscription starts with the oldest retained record
 *       rather than missing what was published before it first joined; {@code metadata.max.age.ms=5000}, so a
 *       pattern subscription ({@code Warehouse.Events.#}) picks up a topic created after it within seconds;
 *   <li>admin: {@code request.timeout.ms} and {@code default.api.timeout.ms} from {@link Builder#adminTimeout},
 *       {@code metadata.recovery.strategy=none}.
 * </ul>
 *
 * <p>{@link Builder#build()} checks every client's configuration as the Kafka clients will parse it, without
 * connecting: {@code bootstrap.servers} as {@code host:port} pairs, each property's type and allowed values (an unknown
 * {@code compression.type}, a {@code max.in.flight.requests.per.connection} the idempotent producer refuses), and a
 * {@code sasl.jaas.config} that does not parse. A client would refuse these only when it is first created, at the first
 * publish or subscribe; here they fail at once, naming the property. Property names Kafka does not know are passed on
 * (plugins read their own), as the clients do.
 */
public final class KafkaBrokerSettings {
    private static final Pattern SECRET = Pattern.compile("(?i).*(password|secret|jaas|token|credential|key).*");

    /** The longest {@code adminTimeout} and {@code closeTimeout}: 1 hour. */
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /** The largest {@code maxBufferedPerPartition}. */
    public static final int MAX_BUFFERED_PER_PARTITION = 1_000_000;

    /** The largest {@code transactionalProducers}. */
    public static final int MAX_TRANSACTIONAL_PRODUCERS = 64;

    private static final String CLAIMS_SUFFIX = "-claims";

    /** The longest {@code clientId}, in bytes of UTF-8. */
    public static final int MAX_CLIENT_ID_BYTES = 200;

    private static final Set<String> RESERVED_EVERYWHERE =
            Set.of("bootstrap.servers", "key.serializer", "value.serializer", "key.deserializer", "value.deserializer");

    private final String bootstrapServers;
    private final String clientId;
    private final Map<String, String> common;
    private final Map<String, String> producer;
    private final Map<String, String> consumer;
    private final Map<String, String> admin;
    private final TopicPolicy topicPolicy;
    private final Duration adminTimeout;
    private final Duration closeTimeout;
    private final int maxBufferedPerPartition;
    private final boolean exactlyOnce;
    private final String positionsTopic;
    private final int transactionalProducers;

    private KafkaBrokerSettings(Builder b) {
        this.bootstrapServers = b.bootstrapServers;
        this.clientId = b.clientId;
        this.common = Map.copyOf(b.common);
        this.producer = Map.copyOf(b.producer);
        this.consumer = Map.copyOf(b.consumer);
        this.admin = Map.copyOf(b.admin);
        this.topicPolicy = b.topicPolicy;
        this.adminTimeout = b.adminTimeout;
        this.closeTimeout = b.closeTimeout;
        this.maxBufferedPerPartition = b.maxBufferedPerPartition;
        this.exactlyOnce = b.exactlyOnce;
        this.positionsTopic = b.positionsTopic;
        this.transactionalProducers = b.transactionalProducers;
    }

    /**
     * A builder for a broker reaching Kafka at {@code bootstrapServers} ({@code host:port[,host:port...]}).
     *
     * <p>The argument is checked in {@link Builder#build()}.
     */
    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    /** The {@code bootstrap.servers} of every client. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The prefix of the clients' {@code client.id}. */
    public String clientId() {
        return clientId;
    }

    /** What happens with missing topics. */
    public TopicPolicy topicPolicy() {
        return topicPolicy;
    }

    /** The bound on each admin request (topic checks and creation). */
    public Duration adminTimeout() {
        return adminTimeout;
    }

    /** The bound on closing: flushing the producer, finishing a subscription's handlers in progress. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** How many fetched records a subscription buffers per partition before it pauses fetching from it. */
    public int maxBufferedPerPartition() {
        return maxBufferedPerPartition;
    }

    /**
     * Whether the broker publishes in the exactly-once mode ({@link Builder#exactlyOnce()}): each batch one Kafka
     * transaction, with the ids it delivered recorded in the {@link #positionsTopic()} in the same transaction.
     */
    public boolean exactlyOnce() {
        return exactlyOnce;
    }

    /**
     * The compacted topic where the exactly-once mode records, per lane, the ids of the last batch it committed; empty
     * when the mode is off. Its companion {@link #claimsTopic()} records who claimed each lane.
     */
    public Optional<String> positionsTopic() {
        return Optional.ofNullable(positionsTopic);
    }

    /** The topic where the exactly-once mode records each claim of a lane: {@code <positionsTopic>-claims}. */
    public Optional<String> claimsTopic() {
        return positionsTopic().map(t -> t + CLAIMS_SUFFIX);
    }

    /** How many transactional producers the exactly-once mode opens at most (one per concurrent publish). */
    public int transactionalProducers() {
        return transactionalProducers;
    }

    /**
     * A transactional producer's configuration: the producer's, with {@code transactional.id} {@code transactionalId}
     * and the client id suffixed with {@code suffix}.
     */
    Map<String, Object> transactionalProducerConfig(String transactionalId, String suffix) {
        Map<String, Object> c = producerConfig();
        c.put("client.id", clientId + "-" + suffix);
        c.put("transactional.id", transactionalId);
        return c;
    }

    /**
     * A consumer's configuration without a group, to read the exactly-once mode's topics by assignment: {@code
     * read_committed} when {@code committed}.
     */
    Map<String, Object> readerConfig(String suffix, boolean committed) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.putAll(common);
        c.putAll(consumer);
        c.remove("group.id");
        c.remove("group.instance.id");
        c.put("bootstrap.servers", bootstrapServers);
        c.put("client.id", clientId + "-" + suffix);
        c.put("enable.auto.commit", "false");
        c.put("auto.offset.reset", "earliest");
        c.put("isolation.level", committed ? "read_committed" : "read_uncommitted");
        return c;
    }

    /** The producer's configuration: the adapter's defaults, the common properties, the producer's, and the fixed. */
    Map<String, Object> producerConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("linger.ms", "0");
        c.put("request.timeout.ms", "10000");
        c.put("delivery.timeout.ms", "25000");
        c.put("max.block.ms", "10000");
        c.putAll(common);
        c.putAll(producer);
        c.put("bootstrap.servers", bootstrapServers);
        c.put("client.id", clientId + "-producer");
        c.put("acks", "all");
        c.put("enable.idempotence", "true");
        return c;
    }

    /** A consumer's configuration for the group {@code groupId}. */
    Map<String, Object> consumerConfig(String groupId, String clientSuffix) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("auto.offset.reset", "earliest");
        // A pattern subscription finds topics created after it on the next metadata refresh: seconds, not the
        // client's default five minutes.
        c.put("metadata.max.age.ms", "5000");
        if (exactlyOnce) {
            c.put("isolation.level", "read_committed");
        }
        c.putAll(common);
        c.putAll(consumer);
        c.put("bootstrap.servers", bootstrapServers);
        c.put("client.id", clientId + "-" + clientSuffix);
        c.put("group.id", groupId);
        c.put("enable.auto.commit", "false");
        return c;
    }

    /** The admin client's configuration. */
    Map<String, Object> adminConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("request.timeout.ms", Long.toString(adminTimeout.toMillis()));
        c.put("default.api.timeout.ms", Long.toString(adminTimeout.toMillis()));
        // While Kafka is unreachable an admin client that rebootstraps does so in a tight loop.
        c.put("metadata.recovery.strategy", "none");
        c.putAll(common);
        c.putAll(admin);
        c.put("bootstrap.servers", bootstrapServers);
        c.put("client.id", clientId + "-admin");
        return c;
    }

    /**
     * Parses each client's configuration as the client itself will, without connecting, so that what it would refuse
     * at the first publish or subscribe fails at {@code build()}.
     */
    private void checkClients() {
        Map<String, Object> p = producerConfig();
        p.put("key.serializer", ByteArraySerializer.class);
        p.put("value.serializer", ByteArraySerializer.class);
        parse("producer", () -> new ProducerConfig(p));
        if (exactlyOnce) {
            Map<String, Object> t = transactionalProducerConfig("outbox-settings-check", "check");
            t.put("key.serializer", ByteArraySerializer.class);
            t.put("value.serializer", ByteArraySerializer.class);
            parse("transactional producer", () -> new ProducerConfig(t));
        }
        Map<String, Object> c = consumerConfig("outbox-settings-check", "check");
        c.put("key.deserializer", ByteArrayDeserializer.class);
        c.put("value.deserializer", ByteArrayDeserializer.class);
        parse("consumer", () -> new ConsumerConfig(c));
        parse("admin", () -> new AdminClientConfig(adminConfig()));
        for (Map.Entry<String, Map<String, String>> e : Map.of(
                        "common", common, "producer", producer, "consumer", consumer, "admin", admin)
                .entrySet()) {
            String jaas = e.getValue().get("sasl.jaas.config");
            if (jaas != null) {
                try {
                    JaasContext.loadClientContext(Map.of("sasl.jaas.config", new Password(jaas)));
                } catch (RuntimeException ex) {
                    // The parser's message may quote the configuration, password included: it is not passed on.
                    throw new InvalidConfigurationException(e.getKey() + " property sasl.jaas.config is not a JAAS"
                            + " configuration the Kafka clients accept (one 'LoginModule flag option=\"value\" ...;'"
                            + " entry, a login module Kafka allows); the value is not shown as it may hold a secret");
                }
            }
        }
    }

    private void parse(String client, Runnable config) {
        try {
            config.run();
        } catch (KafkaException e) {
            String message = String.valueOf(e.getMessage());
            for (Map<String, String> properties : java.util.List.of(common, producer, consumer, admin)) {
                for (Map.Entry<String, String> property : properties.entrySet()) {
                    if (SECRET.matcher(property.getKey()).matches()
                            && !property.getValue().isBlank()) {
                        message = message.replace(property.getValue(), "[hidden]");
                    }
                }
            }
            throw new InvalidConfigurationException(
                    "the Kafka " + client + " would refuse its configuration: " + Validation.quote(message), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaBrokerSettings s
                && bootstrapServers.equals(s.bootstrapServers)
                && clientId.equals(s.clientId)
                && common.equals(s.common)
                && producer.equals(s.producer)
                && consumer.equals(s.consumer)
                && admin.equals(s.admin)
                && topicPolicy.equals(s.topicPolicy)
                && adminTimeout.equals(s.adminTimeout)
                && closeTimeout.equals(s.closeTimeout)
                && maxBufferedPerPartition == s.maxBufferedPerPartition
                && exactlyOnce == s.exactlyOnce
                && Objects.equals(positionsTopic, s.positionsTopic)
                && transactionalProducers == s.transactionalProducers;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                bootstrapServers,
                clientId,
                common,
                producer,
                consumer,
                admin,
                topicPolicy,
                adminTimeout,
                closeTimeout,
                maxBufferedPerPartition,
                exactlyOnce,
                positionsTopic,
                transactionalProducers);
    }

    /** The settings, with the values of properties whose names suggest a secret replaced by {@code [hidden]}. */
    @Override
    public String toString() {
        return "KafkaBrokerSettings[bootstrapServers=" + bootstrapServers + ", clientId=" + clientId + ", common="
                + masked(common) + ", producer=" + masked(producer) + ", consumer=" + masked(consumer) + ", admin="
                + masked(admin) + ", " + topicPolicy + ", adminTimeout=" + adminTimeout + ", closeTimeout="
                + closeTimeout + ", maxBufferedPerPartition=" + maxBufferedPerPartition
                + (exactlyOnce
                        ? ", exactlyOnce, positionsTopic=" + positionsTopic + ", transactionalProducers="
                                + transactionalProducers
                        : "")
                + "]";
    }

    private static Map<String, String> masked(Map<String, String> properties) {
        Map<String, String> m = new TreeMap<>();
        properties.forEach((k, v) -> m.put(k, SECRET.matcher(k).matches() ? "[hidden]" : v));
        return m;
    }

    /** Builds {@link KafkaBrokerSettings}; validation happens in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final String bootstrapServers;
        private String clientId = "outbox";
        private final Map<String, String> common = new LinkedHashMap<>();
        private final Map<String, String> producer = new LinkedHashMap<>();
        private final Map<String, String> consumer = new LinkedHashMap<>();
        private final Map<String, String> admin = new LinkedHashMap<>();
        private TopicPolicy topicPolicy = TopicPolicy.requireExisting();
        private Duration adminTimeout = Duration.ofSeconds(10);
        private Duration closeTimeout = Duration.ofSeconds(10);
        private int maxBufferedPerPartition = 500;
        private boolean exactlyOnce;
        private String positionsTopic;
        private int transactionalProducers = 4;

        private Builder(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
        }

        /** The prefix of every client's {@code client.id}, to find them in the broker's logs and quotas. Default {@code outbox}. */
        public Builder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        /** A property for every client (producer, consumers, admin): {@code security.protocol}, {@code ssl.*}, {@code sasl.*}... */
        public Builder commonProperty(String name, String value) {
            common.put(name, value);
            return this;
        }

        /** Several properties for every client. */
        public Builder commonProperties(Map<String, String> properties) {
            common.putAll(Objects.requireNonNull(properties, "properties"));
            return this;
        }

        /** A producer property, e.g. {@code compression.type}, {@code max.request.size}; wins over a common one. */
        public Builder producerProperty(String name, String value) {
            producer.put(name, value);
            return this;
        }

        /** Several producer properties. */
        public Builder producerProperties(Map<String, String> properties) {
            producer.putAll(Objects.requireNonNull(properties, "properties"));
            return this;
        }

        /** A consumer property, e.g. {@code max.poll.records}, {@code auto.offset.reset}; wins over a common one. */
        public Builder consumerProperty(String name, String value) {
            consumer.put(name, value);
            return this;
        }

        /** Several consumer properties. */
        public Builder consumerProperties(Map<String, String> properties) {
            consumer.putAll(Objects.requireNonNull(properties, "properties"));
            return this;
        }

        /** An admin client property; wins over a common one. */
        public Builder adminProperty(String name, String value) {
            admin.put(name, value);
            return this;
        }

        /** Several admin client properties. */
        public Builder adminProperties(Map<String, String> properties) {
            admin.putAll(Objects.requireNonNull(properties, "properties"));
            return this;
        }

        /** What happens with missing topics. Default {@link TopicPolicy#requireExisting()}. */
        public Builder topicPolicy(TopicPolicy topicPolicy) {
            this.topicPolicy = topicPolicy;
            return this;
        }

        /** The bound on each admin request (topic checks and creation). Default 10 s; at most {@link #MAX_TIMEOUT}. */
        public Builder adminTimeout(Duration adminTimeout) {
            this.adminTimeout = adminTimeout;
            return this;
        }

        /**
         * The bound on closing the broker (flushing what the producer holds) and a subscription (waiting for handlers in
         * progress), and on waiting for handlers of partitions taken away by a rebalance. Default 10 s; at most {@link
         * #MAX_TIMEOUT}.
         */
        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = closeTimeout;
            return this;
        }

        /**
         * How many fetched records a subscription holds per partition before it pauses fetching from that partition
         * (resumed at half). Default 500; at most {@value #MAX_BUFFERED_PER_PARTITION}.
         */
        public Builder maxBufferedPerPartition(int maxBufferedPerPartition) {
            this.maxBufferedPerPartition = maxBufferedPerPartition;
            return this;
        }

        /**
         * Publishes exactly once: each {@code publish} is one Kafka transaction holding the batch's records and, for
         * every lane of the batch, a record of the ids it delivered in the {@link #positionsTopic(String) positions
         * topic}. A relay that takes a lane over fences the transactional producers of whoever held it before, so an
         * open transaction of a relay that lost the lane can never commit, and deletes what the positions say was
         * delivered instead of publishing it again. A consumer with {@code isolation.level=read_committed} then sees
         * each message once, across relay crashes, pauses and lane moves. Costs: one transaction per batch, one
         * batch in flight per relay worker, and up to {@link #transactionalProducers(int)} producers. Default off
         * (at-least-once). Needs Kafka 3.3 or later (the admin client's {@code fenceProducers}); the broker creates
         * its two topics if they are missing, whatever the {@link TopicPolicy}.
         */
        public Builder exactlyOnce() {
            this.exactlyOnce = true;
            return this;
        }

        /**
         * The exactly-once mode's positions topic (compacted, one partition), and with the suffix {@code -claims} its
         * claims topic: required with {@link #exactlyOnce()}, and only with it. It belongs to one outbox table: every
         * relay of the table names the same one, and no other table (another service's, or this table dropped and
         * created again) may use it, since lanes, epochs and ids are the table's. There is no default, so that two
         * services left at the same {@code clientId} cannot share one by accident.
         */
        public Builder positionsTopic(String positionsTopic) {
            this.positionsTopic = positionsTopic;
            return this;
        }

        /**
         * The most transactional producers the exactly-once mode opens (each a connection to the brokers it writes
         * to): one per publish in progress at once, so the relay's {@code concurrency} or more. A publish waits for a
         * free one. Default 4; at most {@value #MAX_TRANSACTIONAL_PRODUCERS}. Only with {@link #exactlyOnce()}.
         */
        public Builder transactionalProducers(int transactionalProducers) {
            this.transactionalProducers = transactionalProducers;
            return this;
        }

        /** @throws InvalidConfigurationException naming the bad setting or property */
        public KafkaBrokerSettings build() {
            Validation.nonBlank(bootstrapServers, "bootstrapServers");
            Validation.name(clientId, "clientId", MAX_CLIENT_ID_BYTES);
            Validation.notNull(topicPolicy, "topicPolicy");
            Validation.positive(adminTimeout, MAX_TIMEOUT, "adminTimeout");
            Validation.positive(closeTimeout, MAX_TIMEOUT, "closeTimeout");
            Validation.positive(maxBufferedPerPartition, MAX_BUFFERED_PER_PARTITION, "maxBufferedPerPartition");
            checkProperties(common, "common");
            checkProperties(producer, "producer");
            checkProperties(consumer, "consumer");
            checkProperties(admin, "admin");
            for (Map<String, String> p : java.util.List.of(common, producer)) {
                fixed(p, "acks", "all", "-1");
                fixed(p, "enable.idempotence", "true");
                forbidden(
                        p,
                        "transactional.id",
                        exactlyOnce
                                ? "the exactly-once mode names its transactional producers itself, so that a relay"
                                        + " taking lanes over can fence them"
                                : "the outbox publishes without transactions (see exactlyOnce())");
                if (exactlyOnce) {
                    forbidden(
                            p,
                            "transaction.two.phase.commit.enable",
                            "the exactly-once mode commits its transactions itself");
                }
            }
            if (exactlyOnce) {
                for (Map<String, String> p : java.util.List.of(common, consumer)) {
                    String isolation = p.get("isolation.level");
                    if (isolation != null && !isolation.trim().equalsIgnoreCase("read_committed")) {
                        throw new InvalidConfigurationException("property isolation.level must be read_committed"
                                + " with exactlyOnce() (a subscription must not see aborted transactions), was "
                                + isolation);
                    }
                }
                if (positionsTopic == null) {
                    throw new InvalidConfigurationException("positionsTopic is required with exactlyOnce(): name a"
                            + " topic of this outbox table's own, the same for every relay of the table (two tables"
                            + " sharing one would fence each other's lanes and delete each other's messages)");
                }
                String topic = positionsTopic;
                String invalid = TopicPatterns.invalidTopic(topic + CLAIMS_SUFFIX)
                        .or(() -> TopicPatterns.invalidTopic(topic))
                        .orElse(null);
                if (invalid != null) {
                    throw new InvalidConfigurationException(
                            "positionsTopic " + Validation.quote(topic) + " cannot be used: " + invalid);
                }
                Validation.positive(transactionalProducers, MAX_TRANSACTIONAL_PRODUCERS, "transactionalProducers");
            } else {
                if (positionsTopic != null) {
                    throw new InvalidConfigurationException(
                            "positionsTopic is only used with exactlyOnce(); set exactlyOnce() or remove it");
                }
                if (transactionalProducers != 4) {
                    throw new InvalidConfigurationException(
                            "transactionalProducers is only used with exactlyOnce(); set exactlyOnce() or remove it");
                }
            }
            for (Map<String, String> p : java.util.List.of(common, consumer)) {
                forbidden(p, "group.id", "a subscription's group is its name");
                fixed(p, "enable.auto.commit", "false");
            }
            checkBootstrapServers(bootstrapServers);
            KafkaBrokerSettings settings = new KafkaBrokerSettings(this);
            settings.checkClients();
            return settings;
        }

        private static void checkBootstrapServers(String servers) {
            for (String server : servers.split(",", -1)) {
                String s = server.trim();
                Integer port = s.isEmpty() ? null : Utils.getPort(s);
                if (s.isEmpty() || Utils.getHost(s) == null || port == null || port < 1 || port > 65535) {
                    throw new InvalidConfigurationException("bootstrapServers must be host:port pairs separated by"
                            + " commas; " + Validation.quote(s) + " is not one (in " + Validation.quote(servers)
                            + ")");
                }
            }
        }

        private static void checkProperties(Map<String, String> properties, String which) {
            properties.forEach((k, v) -> {
                if (k == null || k.isBlank()) {
                    throw new InvalidConfigurationException(which + " property names must not be blank");
                }
                if (v == null) {
                    throw new InvalidConfigurationException(which + " property " + k + " must not be null");
                }
                if (RESERVED_EVERYWHERE.contains(k)) {
                    throw new InvalidConfigurationException(which + " property " + k
                            + " is set by the adapter (use bootstrapServers(...); payloads are bytes)");
                }
            });
        }

        private static void fixed(Map<String, String> properties, String name, String... allowed) {
            String v = properties.get(name);
            if (v != null && !java.util.List.of(allowed).contains(v.trim().toLowerCase(java.util.Locale.ROOT))) {
                throw new InvalidConfigurationException("property " + name + " must be " + allowed[0]
                        + " (the outbox's delivery guarantees rest on it), was " + v);
            }
        }

        private static void forbidden(Map<String, String> properties, String name, String why) {
            if (properties.containsKey(name)) {
                throw new InvalidConfigurationException("property " + name + " cannot be set: " + why);
            }
        }
    }
}
