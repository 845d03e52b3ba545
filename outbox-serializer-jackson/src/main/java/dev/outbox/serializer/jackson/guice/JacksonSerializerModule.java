package dev.outbox.serializer.jackson.guice;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.inject.PrivateModule;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.serializer.jackson.JacksonMessageSerializer;
import dev.outbox.spi.MessageSerializer;

/**
 * Binds {@link MessageSerializer} to a {@link JacksonMessageSerializer}, for {@code dev.outbox.guice.OutboxModule}.
 * Exposes that binding only.
 *
 * <pre>{@code
 * Guice.createInjector(new OutboxModule("warehouse"), storeModule, brokerModule, new JacksonSerializerModule());
 * }</pre>
 *
 * <p>Installing it twice is harmless when the two instances are equal: every module made with the default mapper
 * equals every other, and modules made with a mapper equal each other when they were given the same mapper instance.
 * The serializer is made (and the caller's mapper copied) when the module is constructed, so a bad mapper fails there.
 */
public final class JacksonSerializerModule extends PrivateModule {
    private final ObjectMapper source;
    private final JacksonMessageSerializer serializer;

    /** A module with the default mapper of {@link JacksonMessageSerializer#create()}. */
    public JacksonSerializerModule() {
        this.source = null;
        this.serializer = JacksonMessageSerializer.create();
    }

    /**
     * A module with a copy of {@code objectMapper}, as {@link JacksonMessageSerializer#create(ObjectMapper)} makes it.
     *
     * @throws InvalidConfigurationException if the mapper is null, not for JSON, or cannot be copied
     */
    public JacksonSerializerModule(ObjectMapper objectMapper) {
        if (objectMapper == null) {
            throw new InvalidConfigurationException("objectMapper must not be null");
        }
        this.source = objectMapper;
        this.serializer = JacksonMessageSerializer.create(objectMapper);
    }

    @Override
    protected void configure() {
        bind(MessageSerializer.class).toInstance(serializer);
        expose(MessageSerializer.class);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JacksonSerializerModule m && source == m.source;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(source);
    }
}
