package dev.outbox.serializer.avro.guice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.guice.OptionalBindings;
import dev.outbox.serializer.avro.AvroMessageSerializer;
import dev.outbox.spi.MessageSerializer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AvroSerializerModuleTest {
    @Test
    void bindsTheSerializerWhereTheOutboxModuleLooksForIt() {
        Injector injector = Guice.createInjector(new AvroSerializerModule(), new AvroSerializerModule());
        Optional<MessageSerializer> bound = OptionalBindings.get(injector, Key.get(MessageSerializer.class));
        assertThat(bound).containsInstanceOf(AvroMessageSerializer.class);
        assertThat(bound.orElseThrow()).isSameAs(injector.getInstance(AvroMessageSerializer.class));
        assertThat(injector.getInstance(AvroMessageSerializer.class)
                        .latestVersion("Warehouse.Events.ProductQuantityIncreased"))
                .isEqualTo(2);
    }

    @Test
    void aBlankRootIsRefused() {
        assertThatThrownBy(() -> new AvroSerializerModule(" "))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("root");
    }
}
