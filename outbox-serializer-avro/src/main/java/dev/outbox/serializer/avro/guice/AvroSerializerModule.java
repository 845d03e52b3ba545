package dev.outbox.serializer.avro.guice;

import com.google.inject.PrivateModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.serializer.avro.AvroMessageSerializer;
import dev.outbox.spi.MessageSerializer;

/**
 * Binds {@link MessageSerializer} (for the core's {@code OutboxModule}) and {@link AvroMessageSerializer} to one Avro
 * serializer reading schema files under a classpath folder. A private module that exposes those two bindings only;
 * installing it twice with the same folder is harmless.
 */
public final class AvroSerializerModule extends PrivateModule {
    private final String root;

    /** Schema files under {@value AvroMessageSerializer#DEFAULT_ROOT}. */
    public AvroSerializerModule() {
        this(AvroMessageSerializer.DEFAULT_ROOT);
    }

    /**
     * @param root the classpath folder of the schema files
     * @throws InvalidConfigurationException if it is blank
     */
    public AvroSerializerModule(String root) {
        if (root == null || root.isBlank()) {
            throw new InvalidConfigurationException("root must name a classpath folder, was '" + root + "'");
        }
        this.root = root;
    }

    @Override
    protected void configure() {
        bind(MessageSerializer.class).to(AvroMessageSerializer.class);
        expose(MessageSerializer.class);
        expose(AvroMessageSerializer.class);
    }

    @Provides
    @Singleton
    AvroMessageSerializer serializer() {
        return AvroMessageSerializer.builder().root(root).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AvroSerializerModule m && root.equals(m.root);
    }

    @Override
    public int hashCode() {
        return root.hashCode();
    }
}
