package dev.outbox.benchmarks;

import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.NewMessage;
import dev.outbox.spi.StoredMessage;
import java.sql.Connection;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link MessageStore} that passes everything to a real one and adds up the time the relay spends in its two
 * per-round calls, fetch and acknowledge, so a round's time can be split between the database and the broker.
 * Thread-safe.
 */
final class TimedStore implements MessageStore {
    private final MessageStore delegate;
    final LongAdder fetchNanos = new LongAdder();
    final LongAdder fetches = new LongAdder();
    final LongAdder acknowledgeNanos = new LongAdder();
    final LongAdder acknowledges = new LongAdder();
    /** Wake-ups the store delivered to the relay (commits it heard of). */
    final LongAdder wakes = new LongAdder();

    TimedStore(MessageStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public Fetched fetch(FetchRequest request) {
        long t = System.nanoTime();
        try {
            return delegate.fetch(request);
        } finally {
            fetchNanos.add(System.nanoTime() - t);
            fetches.increment();
        }
    }

    @Override
    public int acknowledge(String relayId, Collection<LaneClaim> claims, Collection<MessageId> ids) {
        long t = System.nanoTime();
        try {
            return delegate.acknowledge(relayId, claims, ids);
        } finally {
            acknowledgeNanos.add(System.nanoTime() - t);
            acknowledges.increment();
        }
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
    public AutoCloseable onAppend(Runnable listener) {
        return delegate.onAppend(() -> {
            wakes.increment();
            listener.run();
        });
    }

    @Override
    public int purgeSent(int limit) {
        return delegate.purgeSent(limit);
    }
}
