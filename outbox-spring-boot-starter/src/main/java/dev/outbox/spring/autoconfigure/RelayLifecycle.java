package dev.outbox.spring.autoconfigure;

import dev.outbox.Relay;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the relay with the application context, once every bean is built (the tables were migrated when the store
 * bean was), and stops it with the context: {@link Relay#close()} settles what is in flight and gives the lanes back.
 */
final class RelayLifecycle implements SmartLifecycle {
    /** Started after the subscriptions and stopped before them: a consumer of our own messages is there first. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1000;

    private final Relay relay;
    private final boolean autoStartup;
    private volatile boolean running;

    RelayLifecycle(Relay relay, boolean autoStartup) {
        this.relay = relay;
        this.autoStartup = autoStartup;
    }

    @Override
    public boolean isAutoStartup() {
        return autoStartup;
    }

    @Override
    public synchronized void start() {
        if (!running) {
            relay.start();
            running = true;
        }
    }

    @Override
    public synchronized void stop() {
        if (running) {
            running = false;
            relay.close();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
