package dev.outbox.fake;

import dev.outbox.FatalException;
import dev.outbox.MessageHandler;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A scriptable {@link Broker} that records what the relay published, for fast tests of the relay.
 *
 * <p>Each attempt to publish a message takes the next {@link Outcome} scripted for its id ({@link #script}), or the
 * one set with {@link #always}, or the default (success). Outcomes complete the returned future at once, except
 * {@link Outcome#never()} which leaves it pending (the relay's publish timeout then applies). {@link
 * #throwOnNextPublish} makes the next {@code publish} call throw instead of returning futures. Every attempt is
 * recorded in order, with the batch it came in.
 *
 * <p>Thread-safe: every method is synchronized. It does not consume: {@link #subscribe} throws.
 */
public final class FakeBroker implements Broker {

    /** What one publish attempt of one message does. */
    public static final class Outcome {
        private enum Kind {
            OK,
            FAIL,
            NEVER,
            HELD
        }

        private final Kind kind;
        private final RuntimeException error;

        private Outcome(Kind kind, RuntimeException error) {
            this.kind = kind;
            this.error = error;
        }

        /** Acknowledged. */
        public static Outcome ok() {
            return new Outcome(Kind.OK, null);
        }

        /** Fails with a {@link RetriableException}. */
        public static Outcome retriable(String message) {
            return new Outcome(Kind.FAIL, new RetriableException(message));
        }

        /** Fails with a {@link FatalException}. */
        public static Outcome fatal(String message) {
            return new Outcome(Kind.FAIL, new FatalException(message));
        }

        /** Fails with any exception, e.g. one that is not an {@code OutboxException}. */
        public static Outcome failWith(RuntimeException error) {
            return new Outcome(Kind.FAIL, Objects.requireNonNull(error));
        }

        /** Never acknowledged: the future stays pending. */
        public static Outcome never() {
            return new Outcome(Kind.NEVER, null);
        }

        /** Pending until the test answers it with {@link FakeBroker#acknowledge} or {@link FakeBroker#fail}. */
        public static Outcome held() {
            return new Outcome(Kind.HELD, null);
        }
    }

    private final Map<Long, Deque<Outcome>> scripted = new HashMap<>();
    private final Map<Long, Outcome> always = new HashMap<>();
    private Outcome defaultOutcome = Outcome.ok();
    private final Deque<RuntimeException> throwOnPublish = new ArrayDeque<>();
    private Consumer<List<OutgoingMessage>> beforeReturn = batch -> {};

    private final List<OutgoingMessage> published = new ArrayList<>();
    private final List<List<Long>> batches = new ArrayList<>();
    private final List<Long> acknowledged = new ArrayList<>();
    private final List<CompletableFuture<Void>> pending = new ArrayList<>();
    private final Map<Long, CompletableFuture<Void>> held = new HashMap<>();
    private boolean transactional;
    private final Map<Integer, java.util.Set<dev.outbox.MessageId>> publishedBefore = new HashMap<>();
    private final List<List<Integer>> takeOvers = new ArrayList<>();
    private int publishCalls;
    private int closeCalls;

    /** The next attempts of message {@code id} take these outcomes in turn; later attempts take the usual one. */
    public synchronized FakeBroker script(long id, Outcome... outcomes) {
        Deque<Outcome> queue = scripted.computeIfAbsent(id, k -> new ArrayDeque<>());
        queue.addAll(List.of(outcomes));
        return this;
    }

    /** Every attempt of message {@code id} not otherwise scripted takes {@code outcome}. */
    public synchronized FakeBroker always(long id, Outcome outcome) {
        always.put(id, Objects.requireNonNull(outcome));
        return this;
    }

    /** Attempts of messages with no script take {@code outcome} (initially success). */
    public synchronized FakeBroker byDefault(Outcome outcome) {
        defaultOutcome = Objects.requireNonNull(outcome);
        return this;
    }

    /** The next {@code publish} call throws {@code error} synchronously (queued). Nothing is recorded for it. */
    public synchronized FakeBroker throwOnNextPublish(RuntimeException error) {
        throwOnPublish.add(Objects.requireNonNull(error));
        return this;
    }

    /** Runs {@code hook} during each publish, after the batch was recorded and before the futures are returned. */
    public synchronized FakeBroker beforeReturn(Consumer<List<OutgoingMessage>> hook) {
        beforeReturn = Objects.requireNonNull(hook);
        return this;
    }

    @Override
    public synchronized List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        publishCalls++;
        if (!throwOnPublish.isEmpty()) {
            throw throwOnPublish.poll();
        }
        List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
        List<Long> batch = new ArrayList<>(messages.size());
        for (OutgoingMessage m : messages) {
            long id = m.envelope().messageId().value();
            published.add(m);
            batch.add(id);
            CompletableFuture<Void> f = new CompletableFuture<>();
            Outcome outcome = outcomeFor(id);
            switch (outcome.kind) {
                case OK -> {
                    acknowledged.add(id);
                    f.complete(null);
                }
                case FAIL -> f.completeExceptionally(outcome.error);
                case NEVER -> pending.add(f);
                case HELD -> held.put(id, f);
            }
            futures.add(f);
        }
        batches.add(List.copyOf(batch));
        beforeReturn.accept(List.copyOf(messages));
        return futures;
    }

    private Outcome outcomeFor(long id) {
        Deque<Outcome> queue = scripted.get(id);
        if (queue != null && !queue.isEmpty()) {
            return queue.poll();
        }
        return always.getOrDefault(id, defaultOutcome);
    }

    @Override
    public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        throw new UnsupportedOperationException("the fake broker does not deliver to subscribers");
    }

    /** Fails the futures still pending, as a broker losing its connection would; counts the calls. */
    @Override
    public synchronized void close() {
        closeCalls++;
        pending.forEach(f -> f.completeExceptionally(new RetriableException("broker closed")));
        pending.clear();
    }

    /** Makes the broker {@link Broker#transactional() transactional}; {@code before} is what takeOver reports. */
    public synchronized FakeBroker transactional(Map<Integer, java.util.Set<dev.outbox.MessageId>> before) {
        transactional = true;
        publishedBefore.putAll(before);
        return this;
    }

    @Override
    public synchronized boolean transactional() {
        return transactional;
    }

    @Override
    public synchronized Map<Integer, java.util.Set<dev.outbox.MessageId>> takeOver(
            java.util.Collection<dev.outbox.spi.LaneClaim> lanes) {
        takeOvers.add(
                lanes.stream().map(dev.outbox.spi.LaneClaim::lane).sorted().toList());
        Map<Integer, java.util.Set<dev.outbox.MessageId>> out = new HashMap<>();
        lanes.forEach(c -> {
            if (publishedBefore.containsKey(c.lane())) {
                out.put(c.lane(), publishedBefore.get(c.lane()));
            }
        });
        return out;
    }

    /** The lanes of each takeOver call, in order. */
    public synchronized List<List<Integer>> takeOvers() {
        return List.copyOf(takeOvers);
    }

    /** Acknowledges the held attempt of message {@code id} (outside the broker's lock, as a broker's thread would). */
    public void acknowledge(long id) {
        CompletableFuture<Void> f;
        synchronized (this) {
            f = held.remove(id);
            if (f == null) {
                throw new IllegalStateException("no attempt of message " + id + " is held");
            }
            acknowledged.add(id);
        }
        f.complete(null);
    }

    /** Fails the held attempt of message {@code id}. */
    public void fail(long id, RuntimeException error) {
        CompletableFuture<Void> f;
        synchronized (this) {
            f = held.remove(id);
            if (f == null) {
                throw new IllegalStateException("no attempt of message " + id + " is held");
            }
        }
        f.completeExceptionally(error);
    }

    /** Ids of the attempts held now. */
    public synchronized java.util.Set<Long> heldIds() {
        return java.util.Set.copyOf(held.keySet());
    }

    // --- inspection -------------------------------------------------------------------------------------------

    /** Every attempt, in the order the relay handed them over. */
    public synchronized List<OutgoingMessage> published() {
        return List.copyOf(published);
    }

    /** The ids of every attempt, in order. */
    public synchronized List<Long> publishedIds() {
        return published.stream().map(m -> m.envelope().messageId().value()).toList();
    }

    /** The ids of every attempt, one list per publish call. */
    public synchronized List<List<Long>> batches() {
        return List.copyOf(batches);
    }

    /** The ids of attempts the broker acknowledged, in order. */
    public synchronized List<Long> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** How many times {@code publish} was called (those that threw included). */
    public synchronized int publishCalls() {
        return publishCalls;
    }

    /** How many futures were left pending and not yet failed by {@link #close()}. */
    public synchronized int pendingCount() {
        return pending.size();
    }

    /** How many times {@link #close()} was called. */
    public synchronized int closeCalls() {
        return closeCalls;
    }
}
