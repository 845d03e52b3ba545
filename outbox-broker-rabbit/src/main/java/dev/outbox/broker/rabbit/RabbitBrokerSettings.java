package dev.outbox.broker.rabbit;

import dev.outbox.Backoff;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.broker.rabbit.internal.AmqpUri;
import dev.outbox.spi.Validation;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * How a {@link RabbitBroker} reaches RabbitMQ and how it publishes and consumes. Immutable and thread-safe; build one
 * with {@link #builder()}. Every default is documented on its builder setter.
 *
 * <p>The password never appears in {@link #toString()} or in {@link #maskedUri()}, so settings can be logged.
 */
public final class RabbitBrokerSettings {

    /** What the broker does with its exchange before publishing or subscribing. */
    public enum ExchangeDeclaration {
        /** Declare a durable topic exchange (the default); a no-op when it already exists with those properties. */
        DECLARE,
        /**
         * Only check that the exchange exists (a passive declare), for users whose exchanges are managed elsewhere and
         * who may not declare them. A missing exchange fails publishes with a {@link dev.outbox.FatalException}.
         */
        CHECK
    }

    /** The longest {@code publishTimeout} and {@code closeTimeout}: 1 hour. */
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /** The longest {@code connectionTimeout}: 10 minutes. */
    public static final Duration MAX_CONNECTION_TIMEOUT = Duration.ofMinutes(10);

    /** The largest {@code maxMessageBytes}: 512 MiB, the most RabbitMQ's {@code max_message_size} allows. */
    public static final int MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

    /** The largest {@code confirmWindow}. */
    public static final int MAX_CONFIRM_WINDOW = 1_000_000;

    /** The most bytes of UTF-8 in an AMQP short string: a virtual host, a user name, a connection name. */
    public static final int MAX_SHORT_STRING_BYTES = 255;

    /** Names RabbitMQ accepts for exchanges and queues, which we also keep to for readable logs. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]*");

    private final String host;
    private final int port;
    private final String virtualHost;
    private final String username;
    private final String password;
    private final SSLContext sslContext;
    private final String exchange;
    private final ExchangeDeclaration exchangeDeclaration;
    private final String queuePrefix;
    private final int confirmWindow;
    private final Duration publishTimeout;
    private final int maxMessageBytes;
    private final int prefetch;
    private final Backoff reconnectBackoff;
    private final Duration connectionTimeout;
    private final Duration heartbeat;
    private final Duration closeTimeout;
    private final String connectionName;

    private RabbitBrokerSettings(Builder b, int port) {
        this.host = b.host;
        this.port = port;
        this.virtualHost = b.virtualHost;
        this.username = b.username;
        this.password = b.password;
        this.sslContext = b.sslContext;
        this.exchange = b.exchange;
        this.exchangeDeclaration = b.exchangeDeclaration;
        this.queuePrefix = b.queuePrefix;
        this.confirmWindow = b.confirmWindow;
        this.publishTimeout = b.publishTimeout;
        this.maxMessageBytes = b.maxMessageBytes;
        this.prefetch = b.prefetch;
        this.reconnectBackoff = b.reconnectBackoff;
        this.connectionTimeout = b.connectionTimeout;
        this.heartbeat = b.heartbeat;
        this.closeTimeout = b.closeTimeout;
        this.connectionName = b.connectionName;
    }

    /** A builder with every setting at its default: a local RabbitMQ as guest, exchange {@code messaging}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The broker's host name. */
    public String host() {
        return host;
    }

    /** The broker's port. */
    public int port() {
        return port;
    }

    /** The virtual host. */
    public String virtualHost() {
        return virtualHost;
    }

    /** The user name. */
    public String username() {
        return username;
    }

    /** The password: handle with care, never log it. */
    public String password() {
        return password;
    }

    /** Whether connections use TLS. */
    public boolean tls() {
        return sslContext != null;
    }

    /** The TLS context, or null without TLS. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** The topic exchange messages are published to and queues are bound to. */
    public String exchange() {
        return exchange;
    }

    /** Whether the exchange is declared or only checked. */
    public ExchangeDeclaration exchangeDeclaration() {
        return exchangeDeclaration;
    }

    /** What every queue and dead-letter exchange a subscription creates is prefixed with (empty for none). */
    public String queuePrefix() {
        return queuePrefix;
    }

    /** The most messages published and not yet confirmed at once. */
    public int confirmWindow() {
        return confirmWindow;
    }

    /** How long a message may take from {@code publish} to its confirm before its future fails retriably. */
    public Duration publishTimeout() {
        return publishTimeout;
    }

    /** The largest payload published; a larger one fails fatally without being sent. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** How many unacknowledged messages a subscription's channel may hold (raised to its concurrency if lower). */
    public int prefetch() {
        return prefetch;
    }

    /** The delay between attempts to reconnect and to resubscribe. */
    public Backoff reconnectBackoff() {
        return reconnectBackoff;
    }

    /** The bound on opening a TCP connection and on the AMQP handshake. */
    public Duration connectionTimeout() {
        return connectionTimeout;
    }

    /** The AMQP heartbeat asked of the broker, which is how a silently dead connection is noticed. */
    public Duration heartbeat() {
        return heartbeat;
    }

    /** The bound on {@link RabbitBroker#close()} waiting for confirms and handlers, and on each close it sends. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** The name connections show in RabbitMQ's management tools (suffixed with their role). */
    public String connectionName() {
        return connectionName;
    }

    /** The connection URI with the password replaced by {@code ****}: safe to log. */
    public String maskedUri() {
        String vhost = URLEncoder.encode(virtualHost, StandardCharsets.UTF_8);
        return (tls() ? "amqps" : "amqp") + "://" + username + ":****@" + host + ":" + port + "/" + vhost;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RabbitBrokerSettings s
                && host.equals(s.host)
                && port == s.port
                && virtualHost.equals(s.virtualHost)
                && username.equals(s.username)
                && password.equals(s.password)
                && sslContext == s.sslContext
                && exchange.equals(s.exchange)
                && exchangeDeclaration == s.exchangeDeclaration
                && queuePrefix.equals(s.queuePrefix)
                && confirmWindow == s.confirmWindow
                && publishTimeout.equals(s.publishTimeout)
                && maxMessageBytes == s.maxMessageBytes
                && prefetch == s.prefetch
                && reconnectBackoff.equals(s.reconnectBackoff)
                && connectionTimeout.equals(s.connectionTimeout)
                && heartbeat.equals(s.heartbeat)
                && closeTimeout.equals(s.closeTimeout)
                && connectionName.equals(s.connectionName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port, virtualHost, username, exchange, queuePrefix, confirmWindow, publishTimeout);
    }

    @Override
    public String toString() {
        return "RabbitBrokerSettings[" + maskedUri() + ", exchange=" + exchange + " (" + exchangeDeclaration
                + "), queuePrefix=" + queuePrefix + ", confirmWindow=" + confirmWindow + ", publishTimeout="
                + publishTimeout + ", maxMessageBytes=" + maxMessageBytes + ", prefetch=" + prefetch
                + ", reconnectBackoff=" + reconnectBackoff + ", connectionTimeout=" + connectionTimeout
                + ", heartbeat=" + heartbeat + ", closeTimeout=" + closeTimeout + ", connectionName="
                + connectionName + "]";
    }

    /**
     * Builds {@link RabbitBrokerSettings}. Setters only record; {@link #build()} validates and names the first bad
     * setting. Not thread-safe.
     */
    public static final class Builder {
        private String host = "localhost";
        private Integer port;
        private String virtualHost = "/";
        private String username = "guest";
        private String password = "guest";
        private SSLContext sslContext;
        private String exchange = "messaging";
        private ExchangeDeclaration exchangeDeclaration = ExchangeDeclaration.DECLARE;
        private String queuePrefix = "outbox";
        private int confirmWindow = 1000;
        private Duration publishTimeout = Duration.ofSeconds(20);
        private int maxMessageBytes = 16 * 1024 * 1024;
        private int prefetch = 100;
        private Backoff reconnectBackoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2.0, 0.2);
        private Duration connectionTimeout = Duration.ofSeconds(10);
        private Duration heartbeat = Duration.ofSeconds(30);
        private Duration closeTimeout = Duration.ofSeconds(10);
        private String connectionName = "outbox";
        private String uriError;

        private Builder() {}

        private Builder(RabbitBrokerSettings s) {
            host = s.host;
            port = s.port;
            virtualHost = s.virtualHost;
            username = s.username;
            password = s.password;
            sslContext = s.sslContext;
            exchange = s.exchange;
            exchangeDeclaration = s.exchangeDeclaration;
            queuePrefix = s.queuePrefix;
            confirmWindow = s.confirmWindow;
            publishTimeout = s.publishTimeout;
            maxMessageBytes = s.maxMessageBytes;
            prefetch = s.prefetch;
            reconnectBackoff = s.reconnectBackoff;
            connectionTimeout = s.connectionTimeout;
            heartbeat = s.heartbeat;
            closeTimeout = s.closeTimeout;
            connectionName = s.connectionName;
        }

        /**
         * Sets host, port, virtual host, user and password from an AMQP URI such as {@code
         * amqp://user:secret@rabbit.internal:5672/warehouse}. An {@code amqps} URI turns TLS on with the JVM's default
         * trust store and host name verification (set {@link #tls(SSLContext)} after it for another context).
         *
         * <p>The URI must name a host; a port or virtual host it leaves out keeps its default (5672, or 5671 with TLS;
         * {@code /}), and so do user and password when it has no user info (a user without a password has the empty
         * password). Every part that is present must parse, after RabbitMQ's URI specification: a host such as {@code
         * rabbit_1} is that host, a port that is not a number is an error, characters such as {@code @}, {@code /} or
         * {@code ?} in a password or virtual host are percent-encoded, and query parameters are refused (the builder
         * has its own settings for what they would set). The URI is checked in {@link #build()}, which names the part
         * at fault, and the URI itself never appears in an error message.
         */
        public Builder uri(String uri) {
            uriError = null;
            if (uri == null) {
                uriError = "uri must not be null";
                return this;
            }
            AmqpUri parsed;
            try {
                parsed = AmqpUri.parse(uri);
            } catch (AmqpUri.Malformed e) {
                // Never echo the URI: it may hold the password.
                uriError = "uri " + e.getMessage();
                return this;
            }
            host = parsed.host();
            port = parsed.port().orElse(null);
            parsed.virtualHost().ifPresent(v -> virtualHost = v);
            parsed.username().ifPresent(u -> {
                username = u;
                password = parsed.password().orElse("");
            });
            if (parsed.tls()) {
                try {
                    sslContext = SSLContext.getDefault();
                } catch (NoSuchAlgorithmException e) {
                    uriError = "uri: amqps needs TLS, but the JVM has no default TLS context";
                }
            }
            return this;
        }

        /** The broker's host name. Default {@code localhost}. */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The broker's port. Default 5672, or 5671 with TLS. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The virtual host. Default {@code /}. */
        public Builder virtualHost(String virtualHost) {
            this.virtualHost = virtualHost;
            return this;
        }

        /** User name and password. Default {@code guest}/{@code guest}, which RabbitMQ accepts only from localhost. */
        public Builder credentials(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        /**
         * Turns TLS on with {@code context}; host names are always verified. Default: no TLS (or, after an {@code
         * amqps} URI, the JVM's default context).
         */
        public Builder tls(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Turns TLS on with the JVM's default trust store ({@code SSLContext.getDefault()}).
         *
         * @throws InvalidConfigurationException if the JVM has no default TLS context
         */
        public Builder tls() {
            try {
                this.sslContext = SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new InvalidConfigurationException("tls: the JVM has no default TLS context", e);
            }
            return this;
        }

        /** The topic exchange to publish to and bind queues to. Default {@code messaging}. */
        public Builder exchange(String exchange) {
            this.exchange = exchange;
            return this;
        }

        /** Whether the exchange is declared or only checked. Default {@link ExchangeDeclaration#DECLARE}. */
        public Builder exchangeDeclaration(ExchangeDeclaration exchangeDeclaration) {
            this.exchangeDeclaration = exchangeDeclaration;
            return this;
        }

        /**
         * The prefix of every queue and dead-letter exchange a subscription creates: queue {@code <prefix>.<name>},
         * dead letters in {@code <prefix>.<deadLetter>}. Empty for no prefix. Default {@code outbox}.
         */
        public Builder queuePrefix(String queuePrefix) {
            this.queuePrefix = queuePrefix;
            return this;
        }

        /**
         * The most messages published and not yet confirmed at once; {@code publish} waits (within the publish
         * timeout) for room. Default 1000, the relay's default batch size; at most {@value #MAX_CONFIRM_WINDOW}.
         */
        public Builder confirmWindow(int confirmWindow) {
            this.confirmWindow = confirmWindow;
            return this;
        }

        /**
         * How long a message may take from {@code publish} until its confirm, waiting for a connection and for room in
         * the window included, before its future fails with a {@link dev.outbox.RetriableException}. Default 20 s,
         * under the relay's default of 30 s so that the relay sees this adapter's more precise error. At most {@link #MAX_TIMEOUT}.
         */
        public Builder publishTimeout(Duration publishTimeout) {
            this.publishTimeout = publishTimeout;
            return this;
        }

        /**
         * The largest payload published, in bytes; a larger message fails with a {@link dev.outbox.FatalException}
         * without being sent (RabbitMQ would close the channel, failing the messages in flight with it). Keep it at
         * most the broker's {@code max_message_size}. Default 16 MiB; at most {@value #MAX_MESSAGE_BYTES}.
         */
        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        /**
         * How many unacknowledged messages each subscription's channel may hold ({@code basic.qos}); raised to the
         * subscription's concurrency when lower. Default 100.
         */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /**
         * The delay between attempts to reconnect after a lost connection, and between attempts of a subscription to
         * come back. Default 1 s doubling up to 30 s, 20% jitter.
         */
        public Builder reconnectBackoff(Backoff reconnectBackoff) {
            this.reconnectBackoff = reconnectBackoff;
            return this;
        }

        /**
         * The bound on opening a connection, TCP and AMQP handshake each. Default 10 s; at most {@link
         * #MAX_CONNECTION_TIMEOUT}.
         */
        public Builder connectionTimeout(Duration connectionTimeout) {
            this.connectionTimeout = connectionTimeout;
            return this;
        }

        /** The AMQP heartbeat asked of the broker: whole seconds, 0 (off) to 65535. Default 30 s. */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * The bound on {@link RabbitBroker#close()} and {@link dev.outbox.Subscription#close()} waiting for confirms
         * and running handlers. Default 10 s; at most {@link #MAX_TIMEOUT}.
         */
        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = closeTimeout;
            return this;
        }

        /** The name connections show in RabbitMQ's management tools. Default {@code outbox}. */
        public Builder connectionName(String connectionName) {
            this.connectionName = connectionName;
            return this;
        }

        /** @throws InvalidConfigurationException naming the first bad setting */
        public RabbitBrokerSettings build() {
            if (uriError != null) {
                throw new InvalidConfigurationException(uriError);
            }
            Validation.nonBlank(host, "host");
            if (!AmqpUri.isHost(host)) {
                throw new InvalidConfigurationException("host must be a host name (letters, digits, '.', '-', '_' and"
                        + " '~') or an IP address, was " + Validation.quote(host));
            }
            int p = port == null ? (sslContext != null ? 5671 : 5672) : port;
            Validation.between(p, 1, 65535, "port");
            Validation.name(virtualHost, "virtualHost", MAX_SHORT_STRING_BYTES);
            Validation.name(username, "username", MAX_SHORT_STRING_BYTES);
            Validation.notNull(password, "password");
            name(exchange, "exchange");
            if (exchange.isEmpty()) {
                throw new InvalidConfigurationException(
                        "exchange must not be empty: the default exchange does not route by topic");
            }
            Validation.notNull(exchangeDeclaration, "exchangeDeclaration");
            if (exchange.startsWith("amq.") && exchangeDeclaration == ExchangeDeclaration.DECLARE) {
                throw new InvalidConfigurationException(
                        "exchange '" + exchange + "' is reserved by RabbitMQ: use ExchangeDeclaration.CHECK");
            }
            name(queuePrefix, "queuePrefix");
            if (queuePrefix.length() > 50) {
                throw new InvalidConfigurationException(
                        "queuePrefix must be at most 50 characters, was " + queuePrefix.length());
            }
            Validation.positive(confirmWindow, MAX_CONFIRM_WINDOW, "confirmWindow");
            Validation.positive(publishTimeout, MAX_TIMEOUT, "publishTimeout");
            Validation.positive(maxMessageBytes, MAX_MESSAGE_BYTES, "maxMessageBytes");
            Validation.positive(prefetch, 65535, "prefetch");
            Validation.notNull(reconnectBackoff, "reconnectBackoff");
            Validation.positive(connectionTimeout, MAX_CONNECTION_TIMEOUT, "connectionTimeout");
            Validation.positive(closeTimeout, MAX_TIMEOUT, "closeTimeout");
            Validation.nonNegative(heartbeat, Duration.ofSeconds(65535), "heartbeat");
            if (heartbeat.getNano() != 0) {
                // The AMQP heartbeat is whole seconds: 500 ms would become 0, which turns heartbeats off.
                throw new InvalidConfigurationException(
                        "heartbeat must be whole seconds (0 turns heartbeats off), was " + heartbeat);
            }
            Validation.name(connectionName, "connectionName", MAX_SHORT_STRING_BYTES);
            return new RabbitBrokerSettings(this, p);
        }

        private static void name(String value, String name) {
            Validation.notNull(value, name);
            if (value.length() > 200 || !NAME.matcher(value).matches()) {
                throw new InvalidConfigurationException(name + " must be at most 200 letters, digits, '.', '_', ':' or"
                        + " '-', was " + Validation.quote(value));
            }
        }
    }
}
