package dev.outbox;

import dev.outbox.spi.Validation;
import java.time.Duration;
import java.util.List;

/**
 * Hears what each relay round did, for metrics. Every method has an empty default. Called on the relay's threads:
 * implementations must be thread-safe and quick. The metrics module implements it with Micrometer.
 */
public interface RelayListener {

    /** A listener that does nothing. */
    RelayListener NOOP = new RelayListener() {};

    /**
     * A round ended: the relay read {@code fetched} messages and handed them to the broker in {@code elapsed}; {@code
     * published} and {@code failed} count the outcomes settled since the previous round (the relay does not wait for a
     * round's acknowledgements before the next).
     */
    default void roundCompleted(int fetched, int published, int failed, Duration elapsed) {}

    /** One message was acknowledged by the broker, {@code sinceCreated} after it was appended. */
    default void published(OutgoingMessage message, Duration sinceCreated) {}

    /** One message failed to publish. */
    default void publishFailed(OutgoingMessage message, OutboxException error) {}

    /** The relay now holds these lanes. */
    default void lanesOwned(int count) {}

    /**
     * What waits in the lanes this relay holds, read every {@code maintenanceInterval} (the same reading feeds the lag
     * check).
     */
    default void backlog(List<LaneBacklog> lanes) {}

    /** One listener that tells each of {@code listeners} in turn.
     *
     * @throws dev.outbox.InvalidConfigurationException if the list or one of its elements is null, naming its index
     */
    static RelayListener all(List<? extends RelayListener> listeners) {
        List<RelayListener> copy = List.copyOf(Validation.elements(listeners, "listeners"));
        return new RelayListener() {
            @Override
            public void roundCompleted(int fetched, int published, int failed, Duration elapsed) {
                copy.forEach(l -> l.roundCompleted(fetched, published, failed, elapsed));
            }

            @Override
            public void published(OutgoingMessage message, Duration sinceCreated) {
                copy.forEach(l -> l.published(message, sinceCreated));
            }

            @Override
            public void publishFailed(OutgoingMessage message, OutboxException error) {
                copy.forEach(l -> l.publishFailed(message, error));
            }

            @Override
            public void lanesOwned(int count) {
                copy.forEach(l -> l.lanesOwned(count));
            }

            @Override
            public void backlog(List<LaneBacklog> lanes) {
                copy.forEach(l -> l.backlog(lanes));
            }
        };
    }
}
