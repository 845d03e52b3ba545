package dev.outbox.broker.rabbit.internal;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import dev.outbox.OutboxException;
import dev.outbox.RetriableException;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One AMQP connection that is opened on demand and opened again after it was lost, at most once per reconnect backoff
 * so that a broker that is down is not hammered by every caller. The client's own automatic recovery is off: this
 * adapter decides what happens to messages in flight when a connection dies (they fail, retriably) and reopens
 * channels itself.
 *
 * <p>Thread-safe. Connection state changes (connected, lost, blocked, unblocked, failing) are logged once each.
 */
public final class ManagedConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ManagedConnection.class);

    private final RabbitBrokerSettings settings;
    private final String role;
    private final ConnectionFactory factory;

    // Guarded by this.
    private Connection connection;
    private boolean everConnected;
    private int failures;
    private long nextAttemptNanos;
    private OutboxException lastFailure;
    private boolean closed;

    /** Why the broker blocked the connection (a resource alarm), or null while it is not blocked. */
    private volatile String blockedReason;

    /**
     * @param role what the connection is for ({@code publisher}, {@code consumer}): its name and its threads' names
     */
    public ManagedConnection(RabbitBrokerSettings settings, String role) {
        this.settings = settings;
        this.role = role;
        this.factory = factory(settings, role);
    }

    private static ConnectionFactory factory(RabbitBrokerSettings s, String role) {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(s.host());
        f.setPort(s.port());
        f.setVirtualHost(s.virtualHost());
        f.setUsername(s.username());
        f.setPassword(s.password());
        if (s.tls()) {
            f.useSslProtocol(s.sslContext());
            f.enableHostnameVerification();
        }
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setConnectionTimeout(millis(s.connectionTimeout()));
        f.setHandshakeTimeout(millis(s.connectionTimeout()));
        f.setChannelRpcTimeout(millis(s.connectionTimeout()));
        f.setShutdownTimeout(millis(s.closeTimeout()));
        f.setRequestedHeartbeat((int) s.heartbeat().toSeconds());
        f.setThreadFactory(Threads.named(role));
        f.setExceptionHandler(new QuietExceptionHandler());
        return f;
    }

    /** The connection's own loss is logged once by {@link #lost}; the client's extra stack trace adds nothing. */
    private static final class QuietExceptionHandler extends ForgivingExceptionHandler {
        @Override
        public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
            log.debug("connection driver failed", exception);
        }
    }

    /** Closes {@code ch} if it is open; a failure is logged, never thrown (the channel is being given up anyway). */
    static void closeQuietly(Channel ch) {
        if (ch != null && ch.isOpen()) {
            try {
                ch.close();
            } catch (IOException | TimeoutException | RuntimeException e) {
                log.debug("closing a channel failed", e);
            }
        }
    }

    static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    /**
     * The open connection, opened now if there is none and the reconnect backoff allows an attempt.
     *
     * @throws RetriableException when the broker cannot be reached (now, or at the last attempt and the backoff has
     *     not passed)
     * @throws dev.outbox.FatalException when the broker refuses the credentials or the virtual host
     */
    public synchronized Connection get() {
        if (closed) {
            throw new RetriableException("the " + role + " connection to " + settings.maskedUri() + " is closed");
        }
        if (connection != null && connection.isOpen()) {
            return connection;
        }
        long now = System.nanoTime();
        if (lastFailure != null && now - nextAttemptNanos < 0) {
            throw new RetriableException(
                    "not connected to " + settings.maskedUri() + " (next attempt in "
                            + Duration.ofNanos(nextAttemptNanos - now).toMillis() + " ms): " + lastFailure.getMessage(),
                    lastFailure);
        }
        try {
            Connection c = factory.newConnection(settings.connectionName() + "-" + role);
            c.addBlockedListener(new BlockedListener() {
                @Override
                public void handleBlocked(String reason) {
                    blockedReason = reason == null ? "no reason given" : reason;
                    log.warn(
                            "RabbitMQ blocked the {} connection to {} ({}): publishes fail retriably until it is"
                                    + " unblocked",
                            role,
                            settings.maskedUri(),
                            blockedReason);
                }

                @Override
                public void handleUnblocked() {
                    blockedReason = null;
                    log.info("RabbitMQ unblocked the {} connection to {}", role, settings.maskedUri());
                }
            });
            c.addShutdownListener(this::lost);
            connection = c;
            blockedReason = null;
            log.info("{} the {} connection to {}", everConnected ? "reopened" : "opened", role, settings.maskedUri());
            everConnected = true;
            failures = 0;
            lastFailure = null;
            return c;
        } catch (IOException | TimeoutException | RuntimeException e) {
            failures++;
            OutboxException error = AmqpErrors.translate("cannot connect to " + settings.maskedUri(), e);
            if (lastFailure == null) {
                log.warn("{} connection: {}", role, error.getMessage());
            }
            lastFailure = error;
            nextAttemptNanos = now + settings.reconnectBackoff().delay(failures).toNanos();
            throw error;
        }
    }

    private void lost(ShutdownSignalException cause) {
        blockedReason = null;
        if (!cause.isInitiatedByApplication()) {
            log.warn("the {} connection to {} was lost: {}", role, settings.maskedUri(), AmqpErrors.describe(cause));
        }
    }

    /** Whether the broker has blocked this connection (a memory or disk alarm). */
    public boolean blocked() {
        return blockedReason != null;
    }

    /** The broker's reason for blocking, or null. */
    public String blockedReason() {
        return blockedReason;
    }

    /** The role given at construction. */
    public String role() {
        return role;
    }

    /** Closes the connection, waiting at most the close timeout; idempotent. */
    @Override
    public void close() {
        Connection c;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = connection;
            connection = null;
        }
        if (c != null && c.isOpen()) {
            try {
                c.close(millis(settings.closeTimeout()));
            } catch (IOException | RuntimeException e) {
                log.debug("closing the {} connection failed; aborting it", role, e);
                c.abort(millis(settings.closeTimeout()));
            }
        }
    }
}
