package dev.outbox.guice;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.PrivateModule;
import com.google.inject.multibindings.OptionalBinder;
import dev.outbox.Message;
import dev.outbox.MessageHandler;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.fake.FakeBroker;
import dev.outbox.fake.FakeConnection;
import dev.outbox.memory.InMemoryMessageStore;
import dev.outbox.spi.AppendInterceptor;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The optional bindings through which another module decorates the outbox's appends and the relay's publishing. */
class OutboxModuleHooksTest {
    private final InMemoryMessageStore store = InMemoryMessageStore.create(4);
    private final FakeBroker broker = new FakeBroker();

    private final class Stores extends AbstractModule {
        @Override
        protected void configure() {
            bind(MessageStore.class).toInstance(store);
            bind(Broker.class).toInstance(broker);
        }
    }

    /** Counts what passes through it on the way to another broker. */
    static final class CountingBroker implements Broker {
        final Broker delegate;
        final AtomicInteger published = new AtomicInteger();

        CountingBroker(Broker delegate) {
            this.delegate = delegate;
        }

        @Override
        public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
            published.addAndGet(messages.size());
            return delegate.publish(messages);
        }

        @Override
        public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
            return delegate.subscribe(spec, handler);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private void appendOne(Injector injector) {
        injector.getInstance(Outbox.class)
                .in(FakeConnection.inTransaction())
                .append(Message.builder("T")
                        .type("t")
                        .payload("x", "text/plain")
                        .build());
    }

    @Test
    void withoutDecorationsTheRelayPublishesThroughTheBoundBroker() {
        Injector injector = Guice.createInjector(new OutboxModule("hooks"), new Stores());
        appendOne(injector);

        try (Relay relay = injector.getInstance(Relay.class)) {
            relay.drainNow();
        }
        assertThat(broker.acknowledged()).hasSize(1);
    }

    @Test
    void anotherModuleSetsTheAppendInterceptorAndTheRelaysBroker() {
        AtomicInteger intercepted = new AtomicInteger();
        CountingBroker counting = new CountingBroker(broker);
        Injector injector = Guice.createInjector(new OutboxModule("hooks"), new Stores(), new AbstractModule() {
            @Override
            protected void configure() {
                OptionalBinder.newOptionalBinder(binder(), AppendInterceptor.class)
                        .setBinding()
                        .toInstance((messages, next) -> {
                            intercepted.addAndGet(messages.size());
                            return next.append(messages);
                        });
                OptionalBinder.newOptionalBinder(binder(), Key.get(Broker.class, RelayBroker.class))
                        .setBinding()
                        .toInstance(counting);
            }
        });
        appendOne(injector);

        try (Relay relay = injector.getInstance(Relay.class)) {
            relay.drainNow();
        }
        assertThat(intercepted).hasValue(1);
        assertThat(counting.published).hasValue(1);
        assertThat(broker.acknowledged()).hasSize(1);
        assertThat(injector.getInstance(Broker.class))
                .as("the plain binding stays")
                .isSameAs(broker);
    }

    @Test
    void aPrivateModuleThatExposesTheHooksDecoratesAsWell() {
        AtomicInteger intercepted = new AtomicInteger();
        CountingBroker counting = new CountingBroker(broker);
        Injector injector = Guice.createInjector(new OutboxModule("hooks"), new Stores(), new PrivateModule() {
            @Override
            protected void configure() {
                bind(AppendInterceptor.class).toInstance((messages, next) -> {
                    intercepted.addAndGet(messages.size());
                    return next.append(messages);
                });
                bind(Key.get(Broker.class, RelayBroker.class)).toInstance(counting);
                expose(AppendInterceptor.class);
                expose(Key.get(Broker.class, RelayBroker.class));
            }
        });
        appendOne(injector);

        try (Relay relay = injector.getInstance(Relay.class)) {
            relay.drainNow();
        }
        assertThat(intercepted).hasValue(1);
        assertThat(counting.published).hasValue(1);
    }

    @Test
    void installingItTwiceIsHarmlessAndExposesTheOutboxAndTheRelayOnly() {
        OutboxModule module = new OutboxModule("hooks");
        Injector injector = Guice.createInjector(module, module, new OutboxModule("hooks"), new Stores());

        assertThat(injector.getInstance(Relay.class)).isSameAs(injector.getInstance(Relay.class));
        assertThat(injector.getInstance(Outbox.class)).isNotNull();
        assertThat(injector.getExistingBinding(Key.get(Broker.class, RelayBroker.class)))
                .as("the relay's broker stays inside the module")
                .isNull();
    }
}
