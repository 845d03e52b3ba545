package dev.outbox.testkit;

import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import dev.outbox.OutgoingMessage;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The broker under {@link RecordingBroker}'s in-process kind: acknowledges every message at once and delivers it
 * synchronously to the subscribers whose patterns match. Thread-safe.
 */
final class Loopback implements Broker {
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final List<RuntimeException> handlerFailures = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    @Override
    public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        if (closed) {
            throw new IllegalStateException("broker is closed");
        }
        List<CompletableFuture<Void>> out = new ArrayList<>(messages.size());
        for (OutgoingMessage m : messages) {
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

    List<RuntimeException> handlerFailures() {
        return List.copyOf(handlerFailures);
    }

    void clearFailures() {
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
