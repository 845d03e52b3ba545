package dev.outbox.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The forwarding bases forward every method of their port, those with a default included. */
class ForwardingTest {

    @Test
    void theForwardingStoreOverridesEveryMethodOfTheStore() {
        assertOverridesAll(ForwardingMessageStore.class, MessageStore.class);
    }

    @Test
    void theForwardingBrokerOverridesEveryMethodOfTheBroker() {
        assertOverridesAll(ForwardingBroker.class, Broker.class);
    }

    private static void assertOverridesAll(Class<?> forwarding, Class<?> port) {
        for (Method m : port.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            assertThat(Arrays.stream(forwarding.getDeclaredMethods())
                            .anyMatch(d -> d.getName().equals(m.getName())
                                    && Arrays.equals(d.getParameterTypes(), m.getParameterTypes())))
                    .as("%s forwards %s", forwarding.getSimpleName(), m)
                    .isTrue();
        }
    }
}
