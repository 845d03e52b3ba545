package dev.outbox.store.jdbi.internal;

import dev.outbox.postgres.Identifiers;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on the store's channel on a connection of its own and runs the listener when an appending transaction
 * commits. Reconnects with a bounded backoff when the connection breaks, and runs the listener after reconnecting in
 * case a notification was missed meanwhile.
 */
public final class AppendListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AppendListener.class);
    private static final int POLL_MILLIS = 250;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final Jdbi jdbi;
    private final String channel;
    private final Runnable listener;
    private final Thread thread;
    private volatile boolean running = true;

    private AppendListener(Jdbi jdbi, String channel, Runnable listener) {
        this.jdbi = jdbi;
        this.channel = channel;
        this.listener = listener;
        this.thread = new Thread(this::run, "outbox-store-listener-" + channel);
        this.thread.setDaemon(true);
    }

    /** Starts listening; {@code channel} is a name that passed the {@link Identifiers} rule. */
    public static AppendListener start(Jdbi jdbi, String channel, Runnable listener) {
        AppendListener l = new AppendListener(jdbi, channel, listener);
        l.thread.start();
        return l;
    }

    private void run() {
        long backoffMillis = 100;
        boolean reconnect = false;
        while (running) {
            try (Handle h = jdbi.open()) {
                Connection c = h.getConnection();
                try (Statement st = c.createStatement()) {
                    st.execute("listen " + Identifiers.quote(channel));
                }
                if (c.getAutoCommit() == false) {
                    c.commit();
                }
                if (reconnect) {
                    log.info("listening on {} again", channel);
                    listener.run();
                }
                backoffMillis = 100;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] got = pg.getNotifications(POLL_MILLIS);
                    if (got != null && got.length > 0) {
                        listener.run();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                log.warn(
                        "listening on {} failed; retrying in {} ms (relays poll meanwhile)", channel, backoffMillis, e);
                reconnect = true;
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(POLL_MILLIS * 8L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
    }
}
