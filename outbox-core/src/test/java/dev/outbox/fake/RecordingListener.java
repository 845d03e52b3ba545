package dev.outbox.fake;

import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.RelayListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link RelayListener} that records what each round reported. Thread-safe. */
public final class RecordingListener implements RelayListener {

    /** One {@code roundCompleted} call. */
    public record Round(int fetched, int published, int failed) {}

    private final List<Round> rounds = new CopyOnWriteArrayList<>();
    private final List<Long> published = new CopyOnWriteArrayList<>();
    private final List<OutboxException> failures = new CopyOnWriteArrayList<>();
    private final List<Integer> lanesOwned = new CopyOnWriteArrayList<>();

    @Override
    public void roundCompleted(int fetched, int published, int failed, Duration elapsed) {
        rounds.add(new Round(fetched, published, failed));
    }

    @Override
    public void published(OutgoingMessage message, Duration sinceCreated) {
        published.add(message.envelope().messageId().value());
    }

    @Override
    public void publishFailed(OutgoingMessage message, OutboxException error) {
        failures.add(error);
    }

    @Override
    public void lanesOwned(int count) {
        lanesOwned.add(count);
    }

    /** Rounds that fetched something, in order. */
    public List<Round> rounds() {
        return List.copyOf(rounds);
    }

    /** Ids the broker acknowledged, in order. */
    public List<Long> published() {
        return List.copyOf(published);
    }

    /** Publish failures, in order. */
    public List<OutboxException> failures() {
        return List.copyOf(failures);
    }

    /** Lane counts reported, in order. */
    public List<Integer> lanesOwned() {
        return List.copyOf(lanesOwned);
    }
}
