package dev.outbox.spi;

import dev.outbox.LaneBacklog;
import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import java.sql.Connection;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A {@link MessageStore} that hands every call to another: the base of decorators (timing, tracing, tests that change
 * one answer), so that a method added to the port later is forwarded without each decorator knowing of it.
 * Thread-safe when the delegate is.
 */
public abstract class ForwardingMessageStore implements MessageStore {
    private final MessageStore delegate;

    /** @param delegate the store every call goes to */
    protected ForwardingMessageStore(MessageStore delegate) {
        this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
    }

    /** The store every call goes to. */
    protected final MessageStore delegate() {
        return delegate;
    }

    @Override
    public int lanes() {
        return delegate.lanes();
    }

    @Override
    public List<MessageId> append(Connection transaction, List<NewMessage> messages) {
        return delegate.append(transaction, messages);
    }

    @Override
    public List<StoredMessage> peek(Connection transaction, int limit) {
        return delegate.peek(transaction, limit);
    }

    @Override
    public LaneAssignment heartbeat(String relayId, Duration lease) {
        return delegate.heartbeat(relayId, lease);
    }

    @Override
    public void release(String relayId, Collection<Integer> lanes) {
        delegate.release(relayId, lanes);
    }

    @Override
    public void leave(String relayId) {
        delegate.leave(relayId);
    }

    @Override
    public Fetched fetch(FetchRequest request) {
        return delegate.fetch(request);
    }

    @Override
    public int acknowledge(String relayId, Collection<LaneClaim> claims, Collection<MessageId> ids) {
        return delegate.acknowledge(relayId, claims, ids);
    }

    @Override
    public void recordFailure(String relayId, LaneClaim claim, MessageId id, String error) {
        delegate.recordFailure(relayId, claim, id, error);
    }

    @Override
    public Optional<StoppedLane> stop(String relayId, LaneClaim claim, StoredMessage head, String reason) {
        return delegate.stop(relayId, claim, head, reason);
    }

    @Override
    public List<StoppedLane> stoppedLanes() {
        return delegate.stoppedLanes();
    }

    @Override
    public Optional<StoppedLane> restart(int lane) {
        return delegate.restart(lane);
    }

    @Override
    public Optional<ParkedMessage> skip(int lane) {
        return delegate.skip(lane);
    }

    @Override
    public List<ParkedMessage> parked() {
        return delegate.parked();
    }

    @Override
    public boolean replay(MessageId id) {
        return delegate.replay(id);
    }

    @Override
    public List<LaneStatus> status() {
        return delegate.status();
    }

    @Override
    public List<LaneBacklog> backlog(List<LaneCursor> lanes) {
        return delegate.backlog(lanes);
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return delegate.onAppend(listener);
    }

    @Override
    public int purgeSent(int limit) {
        return delegate.purgeSent(limit);
    }
}
