package dev.outbox.testkit;

import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A {@link Broker} for tests that keeps what it was given instead of sending it anywhere. It records every message it
 * acknowledged, in the order it was handed them, can be told to fail chosen messages, and delivers acknowledged
 * messages synchronously to subscribers whose patterns match (with no retries: a handler failure is recorded).
 *
 * <p>Thread-safe; one instance may be shared by several relays.
 */
public final class RecordingBroker implements Broker {
    private final List<OutgoingMessage> published = new CopyOnWriteArrayList<>();
    private final List<OutgoingMessage> attempted = new CopyOnWriteArrayList<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final List<RuntimeException> handlerFailures = new CopyOnWriteArrayList<>();
    private volatile Function<OutgoingMessage, Optional<OutboxException>> failures = m -> Optional.empty();
    private volatile boolean closed;

    /**
     * Fails messages for which {@code rule} returns an exception (a {@link dev.outbox.RetriableException} or {@link
     * dev.outbox.FatalException}), and acknowledges the rest. Replaces any earlier rule.
     */
    public RecordingBroker failWhen(Function<OutgoingMessage, Optional<OutboxException>> rule) {
        this.failures = rule == null ? m -> Optional.empty() : rule;
        return this;
    }

    /** Acknowledges every message from now on. */
    public RecordingBroker succeedAll() {
        return failWhen(null);
    }

    @Override
    public synchronized List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        if (closed) {
            throw new IllegalStateException("broker is closed");
        }
        List<CompletableFuture<Void>> out = new ArrayList<>(messages.size());
        Set<List<String>> failedKeys = new HashSet<>();
        for (OutgoingMessage m : messages) {
            List<String> key = Arrays.asList(m.envelope().topic(), m.envelope().key());
            if (failedKeys.contains(key)) {
                // As the Broker contract asks: nothing overtakes a failed message of its key.
                out.add(CompletableFuture.failedFuture(
                        new RetriableException("held back: an earlier message of its key failed")));
                continue;
            }
            attempted.add(m);
            Optional<OutboxException> error = failures.apply(m);
            if (error.isPresent()) {
                failedKeys.add(key);
                out.add(CompletableFuture.failedFuture(error.get()));
                continue;
            }
            published.add(m);
            deliver(m);
            out.add(CompletableFuture.completedFuture(null));
        }
        return out;
    }

    private void deliver(OutgoingMessage m) {
        for (Subscriber s : subscribers) {
            if (s.matches(m.envelope().topic())) {
                try {
                    s.handler.handle(new IncomingMessage(m.envelope(), m.payload(), 1));
                } catch (RuntimeException e) {
                    handlerFailures.add(e);
                }
            }
        }
    }

    /** Every message acknowledged so far, in the order it was handed to the broker (duplicates included). */
    public List<OutgoingMessage> published() {
        return List.copyOf(published);
    }

    /** Every message handed to the broker, acknowledged or failed. */
    public List<OutgoingMessage> attempted() {
        return List.copyOf(attempted);
    }

    /** Exceptions thrown by subscribed handlers. */
    public List<RuntimeException> handlerFailures() {
        return List.copyOf(handlerFailures);
    }

    /** Forgets what was recorded. */
    public void clear() {
        published.clear();
        attempted.clear();
        handlerFailures.clear();
    }

    @Override
    public Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        Subscriber s = new Subscriber(spec, handler);
        subscribers.add(s);
        return s;
    }

    @Override
    public void close() {
        closed = true;
        subscribers.clear();
    }

    private final class Subscriber implements Subscription {
        private final SubscriptionSpec spec;
        private final MessageHandler handler;
        private final List<String[]> patterns;

        Subscriber(SubscriptionSpec spec, MessageHandler handler) {
            this.spec = spec;
            this.handler = handler;
            this.patterns =
                    spec.patterns().stream().map(p -> p.split("\\.", -1)).toList();
        }

        boolean matches(String topic) {
            String[] words = topic.split("\\.", -1);
            return patterns.stream().anyMatch(p -> match(p, 0, words, 0));
        }

        /** RabbitMQ topic semantics: {@code *} is exactly one word, {@code #} zero or more words. */
        private static boolean match(String[] pattern, int pi, String[] words, int wi) {
            if (pi == pattern.length) {
                return wi == words.length;
            }
            if (pattern[pi].equals("#")) {
                for (int skip = wi; skip <= words.length; skip++) {
                    if (match(pattern, pi + 1, words, skip)) {
                        return true;
                    }
                }
                return false;
            }
            return wi < words.length
                    && (pattern[pi].equals("*") || pattern[pi].equals(words[wi]))
                    && match(pattern, pi + 1, words, wi + 1);
        }

        @Override
        public SubscriptionSpec spec() {
            return spec;
        }

        @Override
        public void close() {
            subscribers.remove(this);
        }
    }
}
