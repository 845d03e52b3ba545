package dev.outbox.benchmarks;

import dev.outbox.MessageHandler;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Broker} that passes everything to a real one and watches the acknowledgements: how many, which message ids
 * came back twice (duplicates), and when each arrived (for commit-to-ack latency). It adds a callback per message on
 * the adapter's completing thread, nothing else. Thread-safe.
 */
final class TapBroker implements Broker {

    /** Told of every acknowledgement, on the adapter's thread. */
    interface AckObserver {
        void acked(long messageId, long nanoTime);
    }

    private final Broker delegate;
    private final LongAdder acked = new LongAdder();
    private final LongAdder failed = new LongAdder();
    /** Time spent inside the adapter's publish call, and from its return to the batch's last acknowledgement. */
    final LongAdder publishNanos = new LongAdder();

    final LongAdder settleNanos = new LongAdder();
    final LongAdder batches = new LongAdder();
    private final BitSet seen;
    private long duplicates;
    private volatile AckObserver observer;

    /** Watches {@code delegate}; several taps may share one {@code seen} set to find duplicates across relays. */
    TapBroker(Broker delegate, BitSet seen) {
        this.delegate = delegate;
        this.seen = seen;
    }

    TapBroker(Broker delegate) {
        this(delegate, new BitSet());
    }

    void observe(AckObserver o) {
        this.observer = o;
    }

    @Override
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        long called = System.nanoTime();
        List<CompletableFuture<Void>> futures = delegate.publish(messages);
        long returned = System.nanoTime();
        publishNanos.add(returned - called);
        batches.increment();
        if (!futures.isEmpty()) {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                    .whenComplete((ok, error) -> settleNanos.add(System.nanoTime() - returned));
        }
        for (int i = 0; i < futures.size(); i++) {
            long id = messages.get(i).envelope().messageId().value();
            futures.get(i).whenComplete((ok, error) -> {
                if (error != null) {
                    failed.increment();
                    return;
                }
                long now = System.nanoTime();
                acked.increment();
                synchronized (seen) {
                    if (seen.get((int) id)) {
                        duplicates++;
                    } else {
                        seen.set((int) id);
                    }
                }
                AckObserver o = observer;
                if (o != null) {
                    o.acked(id, now);
                }
            });
        }
        return futures;
    }

    long acked() {
        return acked.sum();
    }

    long failed() {
        return failed.sum();
    }

    long duplicates() {
        synchronized (seen) {
            return duplicates;
        }
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
