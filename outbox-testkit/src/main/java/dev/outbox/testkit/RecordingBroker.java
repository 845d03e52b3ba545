package dev.outbox.testkit;

import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.spi.Broker;
import dev.outbox.spi.ForwardingBroker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A {@link Broker} for tests that records what it was given and what was acknowledged, and can be told to fail chosen
 * messages. Two kinds:
 *
 * <ul>
 *   <li>{@code new RecordingBroker()} sends nothing anywhere: it acknowledges every message at once and delivers it
 *       synchronously to subscribers whose patterns match (RabbitMQ topic semantics, no retries: a handler failure is
 *       recorded in {@link #handlerFailures()});
 *   <li>{@link #over(Broker)} passes every call to a real broker, and records its acknowledgements as they arrive.
 * </ul>
 *
 * A message the rule of {@link #failWhen} fails never reaches the broker underneath, and neither does a later message
 * of its topic and key in the same call: it fails too, as the {@link Broker#publish} contract asks of an adapter that
 * learns of a failure before it sends the later message.
 *
 * <p>Thread-safe; one instance may be shared by several relays.
 */
public final class RecordingBroker extends ForwardingBroker {
    private final List<OutgoingMessage> published = new CopyOnWriteArrayList<>();
    private final List<OutgoingMessage> attempted = new CopyOnWriteArrayList<>();
    private final Loopback loopback;
    private volatile Function<OutgoingMessage, Optional<OutboxException>> failures = m -> Optional.empty();

    /** A broker that acknowledges at once and delivers to its own subscribers, in this process. */
    public RecordingBroker() {
        this(new Loopback());
    }

    private RecordingBroker(Loopback loopback) {
        super(loopback);
        this.loopback = loopback;
    }

    private RecordingBroker(Broker real) {
        super(real);
        this.loopback = null;
    }

    /**
     * A broker that passes every call to {@code real} (closing it closes {@code real} too), recording what it hands on
     * and what {@code real} acknowledges.
     */
    public static RecordingBroker over(Broker real) {
        return new RecordingBroker(Objects.requireNonNull(real, "real"));
    }

    /**
     * Fails messages for which {@code rule} returns an exception (a {@link dev.outbox.RetriableException} or {@link
     * dev.outbox.FatalException}), and hands the rest on. Replaces any earlier rule.
     */
    public RecordingBroker failWhen(Function<OutgoingMessage, Optional<OutboxException>> rule) {
        this.failures = rule == null ? m -> Optional.empty() : rule;
        return this;
    }

    /** Fails nothing from now on. */
    public RecordingBroker succeedAll() {
        return failWhen(null);
    }

    @Override
    public synchronized List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        List<CompletableFuture<Void>> out = new ArrayList<>(messages.size());
        List<OutgoingMessage> handed = new ArrayList<>(messages.size());
        List<Integer> handedAt = new ArrayList<>(messages.size());
        Set<List<String>> failedKeys = new HashSet<>();
        for (OutgoingMessage m : messages) {
            List<String> key = Arrays.asList(m.envelope().topic(), m.envelope().key());
            if (failedKeys.contains(key)) {
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
            handedAt.add(out.size());
            handed.add(m);
            out.add(null);
        }
        if (!handed.isEmpty()) {
            List<CompletableFuture<Void>> outcomes = super.publish(handed);
            for (int i = 0; i < handed.size(); i++) {
                OutgoingMessage m = handed.get(i);
                // The caller sees the acknowledgement only once it is recorded, and a failure as the broker gave it.
                CompletableFuture<Void> outcome = new CompletableFuture<>();
                outcomes.get(i).whenComplete((ok, error) -> {
                    if (error == null) {
                        published.add(m);
                        outcome.complete(null);
                    } else {
                        outcome.completeExceptionally(error);
                    }
                });
                out.set(handedAt.get(i), outcome);
            }
        }
        return out;
    }

    /**
     * Every message acknowledged so far, duplicates included, in the order the acknowledgements arrived (for the
     * in-process broker: the order it was handed them).
     */
    public List<OutgoingMessage> published() {
        return List.copyOf(published);
    }

    /** Every message handed to this broker and not held back, acknowledged or failed, in the order it was handed. */
    public List<OutgoingMessage> attempted() {
        return List.copyOf(attempted);
    }

    /** Exceptions thrown by handlers subscribed to the in-process broker (none over a real one). */
    public List<RuntimeException> handlerFailures() {
        return loopback == null ? List.of() : loopback.handlerFailures();
    }

    /** Forgets what was recorded. */
    public void clear() {
        published.clear();
        attempted.clear();
        if (loopback != null) {
            loopback.clearFailures();
        }
    }
}
