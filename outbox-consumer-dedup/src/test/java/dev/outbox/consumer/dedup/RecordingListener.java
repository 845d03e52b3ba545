package dev.outbox.consumer.dedup;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidMessageException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Remembers what a deduplicator told it. */
final class RecordingListener implements DedupListener {
    final List<IncomingMessage> processed = new CopyOnWriteArrayList<>();
    final List<IncomingMessage> skipped = new CopyOnWriteArrayList<>();
    final List<RuntimeException> failed = new CopyOnWriteArrayList<>();
    final List<InvalidMessageException> rejected = new CopyOnWriteArrayList<>();
    final List<CleanupResult> cleaned = new CopyOnWriteArrayList<>();
    final List<RuntimeException> cleanupFailed = new CopyOnWriteArrayList<>();

    @Override
    public void processed(String consumer, IncomingMessage message, Duration elapsed) {
        processed.add(message);
    }

    @Override
    public void skipped(String consumer, IncomingMessage message) {
        skipped.add(message);
    }

    @Override
    public void failed(String consumer, IncomingMessage message, RuntimeException error) {
        failed.add(error);
    }

    @Override
    public void rejected(String consumer, InvalidMessageException error) {
        rejected.add(error);
    }

    @Override
    public void cleaned(CleanupResult result) {
        cleaned.add(result);
    }

    @Override
    public void cleanupFailed(String consumer, RuntimeException error) {
        cleanupFailed.add(error);
    }
}
