package dev.outbox.serializer.jackson.guice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.google.inject.AbstractModule;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.Outbox;
import dev.outbox.guice.OutboxModule;
import dev.outbox.serializer.jackson.JacksonMessageSerializer;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.spi.MessageStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JacksonSerializerModuleTest {

    record Renamed(String orderId) {}

    @Test
    void bindsTheSerializer() {
        Injector injector = Guice.createInjector(new JacksonSerializerModule());

        MessageSerializer serializer = injector.getInstance(MessageSerializer.class);

        assertThat(serializer).isInstanceOf(JacksonMessageSerializer.class);
        assertThat(injector.getInstance(MessageSerializer.class)).isSameAs(serializer);
    }

    @Test
    void installingItTwiceIsHarmless() {
        ObjectMapper mapper = new ObjectMapper();

        Injector twice = Guice.createInjector(new JacksonSerializerModule(), new JacksonSerializerModule());
        Injector twiceWithMapper =
                Guice.createInjector(new JacksonSerializerModule(mapper), new JacksonSerializerModule(mapper));

        assertThat(twice.getInstance(MessageSerializer.class)).isInstanceOf(JacksonMessageSerializer.class);
        assertThat(twiceWithMapper.getInstance(MessageSerializer.class)).isInstanceOf(JacksonMessageSerializer.class);
        assertThat(new JacksonSerializerModule())
                .isEqualTo(new JacksonSerializerModule())
                .hasSameHashCodeAs(new JacksonSerializerModule())
                .isNotEqualTo(new JacksonSerializerModule(mapper));
    }

    @Test
    void twoDifferentMappersConflict() {
        assertThatThrownBy(() -> Guice.createInjector(
                        new JacksonSerializerModule(new ObjectMapper()),
                        new JacksonSerializerModule(new ObjectMapper())))
                .isInstanceOf(CreationException.class)
                .hasMessageContaining("MessageSerializer");
    }

    @Test
    void usesACopyOfTheGivenMapper() {
        ObjectMapper mapper = JacksonMessageSerializer.defaultObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        JacksonSerializerModule module = new JacksonSerializerModule(mapper);
        mapper.setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE);

        MessageSerializer serializer = Guice.createInjector(module).getInstance(MessageSerializer.class);

        assertThat(new String(
                        serializer.serialize("Renamed", new Renamed("o-1")).bytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"order_id\":\"o-1\"}");
    }

    @Test
    void refusesANullMapper() {
        assertThatThrownBy(() -> new JacksonSerializerModule(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("objectMapper must not be null");
    }

    @Test
    void theOutboxModuleUsesIt() {
        Injector injector = Guice.createInjector(
                new OutboxModule("warehouse"), new JacksonSerializerModule(), new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(MessageStore.class).toInstance(stub(MessageStore.class));
                        bind(Broker.class).toInstance(stub(Broker.class));
                    }
                });

        Outbox outbox = injector.getInstance(Outbox.class);

        assertThat(outbox.serializer()).isSameAs(injector.getInstance(MessageSerializer.class));
    }

    /**
     * A port that answers only {@code lanes()} and its default methods (such as the broker's topic rules): enough for
     * the outbox to be built, nothing is appended here.
     */
    private static <T> T stub(Class<T> port) {
        return port.cast(Proxy.newProxyInstance(port.getClassLoader(), new Class<?>[] {port}, (proxy, method, args) -> {
            if (method.getName().equals("lanes")) {
                return 8;
            }
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            throw new UnsupportedOperationException(method.getName());
        }));
    }
}
