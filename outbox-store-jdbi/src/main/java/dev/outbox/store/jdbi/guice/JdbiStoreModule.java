package dev.outbox.store.jdbi.guice;

import com.google.inject.PrivateModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.Outbox;
import dev.outbox.spi.MessageStore;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import org.jdbi.v3.core.Jdbi;

/**
 * Binds {@link MessageStore} (and {@link JdbiMessageStore}) to the PostgreSQL store, and {@link JdbiOutbox} for
 * appending through JDBI handles. Needs a {@link Jdbi} bound elsewhere, and the core's {@code OutboxModule} for
 * {@link Outbox}. It does not migrate: call {@link JdbiMessageStore#migrate()} at startup, or use your migration tool.
 * A private module that exposes those three bindings only; installing it twice with equal settings is harmless.
 */
public final class JdbiStoreModule extends PrivateModule {
    private final JdbiStoreConfig config;

    /** A module for a store with the default settings. */
    public JdbiStoreModule() {
        this(JdbiStoreConfig.defaults());
    }

    /**
     * A module for a store with these settings.
     *
     * @throws InvalidConfigurationException if {@code config} is null
     */
    public JdbiStoreModule(JdbiStoreConfig config) {
        if (config == null) {
            throw new InvalidConfigurationException("config must not be null");
        }
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(MessageStore.class).to(JdbiMessageStore.class);
        expose(MessageStore.class);
        expose(JdbiMessageStore.class);
        expose(JdbiOutbox.class);
    }

    @Provides
    @Singleton
    JdbiMessageStore store(Jdbi jdbi) {
        return JdbiMessageStore.create(jdbi, config);
    }

    @Provides
    @Singleton
    JdbiOutbox jdbiOutbox(Outbox outbox) {
        return JdbiOutbox.of(outbox);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JdbiStoreModule m && config.equals(m.config);
    }

    @Override
    public int hashCode() {
        return config.hashCode();
    }
}
