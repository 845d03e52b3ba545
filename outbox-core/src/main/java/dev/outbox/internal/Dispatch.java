package dev.outbox.internal;

import dev.outbox.Envelope;
import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.spi.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The broker call: a stored message's envelope, the hand-over to {@link dev.outbox.spi.Broker#publish}, and the
 * classification of what comes back. Stateless.
 */
final class Dispatch {
    private final RelaySettings s;

    Dispatch(RelaySettings settings) {
        this.s = settings;
    }

    /**
     * The message as it goes on the wire.
     *
     * @throws OutboxException when no envelope can carry the row (written around the appender)
     */
    OutgoingMessage outgoing(StoredMessage m) {
        Envelope envelope = new Envelope(
                m.id(), s.source(), m.topic(), m.key(), m.type(), m.contentType(), m.createdAt(), m.headers());
        return new OutgoingMessage(envelope, m.payload(), m.lane(), m.attempts() + 1);
    }

    /**
     * Hands the messages to the broker, in order; one future per message, which never completes with anything but an
     * {@link OutboxException}. A broker that throws, or breaks the one-result-per-message contract, fails them all.
     */
    List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
        if (messages.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<Void>> futures;
        try {
            futures = s.broker().publish(messages);
        } catch (RuntimeException e) {
            return failAll(messages.size(), classify(e));
        }
        if (futures == null || futures.size() != messages.size()) {
            return failAll(
                    messages.size(),
                    new RetriableException(
                            "the broker returned " + (futures == null ? "no" : futures.size()) + " results for "
                                    + messages.size() + " messages: the Broker contract wants one each",
                            null));
        }
        return futures;
    }

    private static List<CompletableFuture<Void>> failAll(int n, OutboxException error) {
        List<CompletableFuture<Void>> failed = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            failed.add(CompletableFuture.failedFuture(error));
        }
        return failed;
    }

    /** What a failed future or a throwing broker means for the relay: anything outside the hierarchy is retriable. */
    static OutboxException classify(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof OutboxException o) {
            return o;
        }
        return new RetriableException(String.valueOf(cause), cause);
    }

    /** A failure's reason as the store keeps it: bounded. */
    static String describe(OutboxException error) {
        String text = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        return text.length() > 2000 ? text.substring(0, 2000) : text;
    }
}
