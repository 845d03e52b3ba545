package dev.outbox.spring.autoconfigure;

import dev.outbox.MessageHandler;
import dev.outbox.Subscription;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.spi.Broker;
import dev.outbox.spring.OutboxProperties;
import dev.outbox.spring.OutboxSubscriber;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Subscribes every {@link OutboxSubscriber} bean when the context starts, and closes the subscriptions and their
 * deduplicators when it stops. An exactly-once subscriber's handler runs in a transaction of the application's
 * transaction manager, inside which the deduplicator records the message on the same connection (a {@link Jdbi} that
 * joins Spring's transaction), so the record and the handler's writes commit together.
 */
final class SubscriberLifecycle implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(SubscriberLifecycle.class);

    /** Before the relay's phase: started first, stopped last. */
    static final int PHASE = RelayLifecycle.PHASE - 100;

    private final List<OutboxSubscriber> subscribers;
    private final Broker broker;
    private final Jdbi jdbi;
    private final PlatformTransactionManager transactions;
    private final OutboxProperties properties;
    private final DedupListener dedupListener;
    private final HandlerDecorator decorator;
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final List<Deduplicator> deduplicators = new ArrayList<>();
    private boolean running;

    SubscriberLifecycle(
            List<OutboxSubscriber> subscribers,
            Broker broker,
            Jdbi jdbi,
            PlatformTransactionManager transactions,
            OutboxProperties properties,
            DedupListener dedupListener,
            HandlerDecorator decorator) {
        this.subscribers = List.copyOf(subscribers);
        this.broker = broker;
        this.jdbi = jdbi;
        this.transactions = transactions;
        this.properties = properties;
        this.dedupListener = dedupListener;
        this.decorator = decorator;
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        try {
            for (OutboxSubscriber s : subscribers) {
                MessageHandler handler = s.exactlyOnce() ? exactlyOnce(s) : s.handler();
                subscriptions.add(broker.subscribe(s.spec(), decorator.decorate(s.spec(), handler)));
                log.info("subscribed {} to {}", s.spec().name(), s.spec().patterns());
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    private MessageHandler exactlyOnce(OutboxSubscriber s) {
        Deduplicator.Builder builder =
                Deduplicator.builder().jdbi(jdbi).consumer(s.spec().name()).listener(dedupListener);
        if (properties.consumer().retention() != null) {
            builder.retention(properties.consumer().retention());
        }
        // The processed ids live beside the outbox's tables: one schema to grant, migrate and back up.
        if (properties.store().schema() != null) {
            builder.table(PropertyNames.check(
                    "outbox.store",
                    () -> DedupTable.DEFAULT.inSchema(properties.store().schema())));
        }
        Deduplicator dedup = PropertyNames.check("outbox.consumer", builder::build);
        deduplicators.add(dedup);
        if (properties.store().migrate()) {
            dedup.migrate();
        }
        dedup.startCleanup();
        MessageHandler recorded = dedup.wrap((handle, message) -> s.handler().handle(message));
        TransactionTemplate transaction = new TransactionTemplate(transactions);
        transaction.setName("outbox-consumer-" + s.spec().name());
        return new MessageHandler() {
            @Override
            public void handle(dev.outbox.IncomingMessage message) {
                transaction.executeWithoutResult(status -> recorded.handle(message));
            }

            @Override
            public String toString() {
                return "transactional(" + recorded + ")";
            }
        };
    }

    @Override
    public synchronized void stop() {
        running = false;
        for (Subscription s : subscriptions) {
            close(s);
        }
        subscriptions.clear();
        for (Deduplicator d : deduplicators) {
            close(d);
        }
        deduplicators.clear();
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("could not close {}", c, e);
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** Wraps each subscriber's handler: consumer metrics when Micrometer is there. */
    @FunctionalInterface
    interface HandlerDecorator {
        HandlerDecorator NONE = (spec, handler) -> handler;

        MessageHandler decorate(dev.outbox.SubscriptionSpec spec, MessageHandler handler);
    }
}
