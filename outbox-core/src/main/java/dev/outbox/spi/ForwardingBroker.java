package dev.outbox.spi;

import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Broker} that hands every call to another: the base of decorators (tracing, timing, failure injection in
 * tests), so that a method added to the port later, such as {@link #transactional()}, is forwarded without each
 * decorator knowing of it. Thread-safe when the delegate is.
 */
public abstract class ForwardingBroker implements Broker {
    private final Broker delegate;

    /** @param delegate the broker every call goes to */
    protected ForwardingBroker(Broker delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The broker every call goes to. */
    protected final Broker delegate() {
        return delegate;
    }

    @Override
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        return delegate.publish(messages);
    }

    @Override
    public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        return delegate.subscribe(spec, handler);
    }

    @Override
    public String messagingSystem() {
        return delegate.messagingSystem();
    }

    @Override
    public TopicRules topicRules() {
        return delegate.topicRules();
    }

    @Override
    public boolean transactional() {
        return delegate.transactional();
    }

    @Override
    public Map<Integer, Set<MessageId>> takeOver(Collection<LaneClaim> lanes) {
        return delegate.takeOver(lanes);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
