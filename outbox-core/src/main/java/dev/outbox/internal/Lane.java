package dev.outbox.internal;

import dev.outbox.OutboxException;
import dev.outbox.OutgoingMessage;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.StoredMessage;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * One lane as its worker holds it: where it is read up to, what of it is in flight, and whether it runs. Only its
 * worker touches it, under the worker's lock.
 */
final class Lane {

    /** What the worker does with the lane. */
    enum Mode {
        /** Read and published with many messages in flight. */
        RUNNING,
        /** Its head failed: nothing is read until the backoff ends. */
        BACKING_OFF,
        /** The backoff ended: the head alone is sent until one message is acknowledged. */
        PROBING,
        /** Stopped in the store: only an operator's restart or skip revives it. */
        STOPPED,
        /** Given up to another relay: nothing more is read; released once nothing of it is in flight. */
        RELEASING
    }

    final int number;
    LaneClaim claim;
    Mode mode = Mode.RUNNING;

    /**
     * Every message of the lane with an id up to this one was fetched (and is in flight, acknowledged, or read again
     * after a failure rewound the position), or is late. {@code 0} until the lane is read for the first time.
     */
    long position;

    /** When a lane backing off may probe again (ticker time). */
    long retryAtNanos;

    /** Whether a transactional broker's records of the lane were taken over (always, for other brokers). */
    boolean takenOver = true;

    /** The generation under which this relay stopped the lane: a restart shows a higher one. */
    long stoppedGeneration = -1;

    /**
     * A message of the flight failed while earlier ones are still unanswered: nothing more of the lane is sent until the
     * flight settles up to it, or a later message of its key would reach the broker ahead of it (G3).
     */
    boolean failing;

    /** Sent and not settled yet, in the order they were handed to the broker. */
    final ArrayDeque<Sent> inFlight = new ArrayDeque<>();

    /** Ids in flight, or acknowledged and not yet deleted: a fetch that returns them again skips them. */
    final Set<Long> known = new HashSet<>();

    Lane(LaneClaim claim) {
        this.number = claim.lane();
        this.claim = claim;
        if (claim.stopped()) {
            mode = Mode.STOPPED;
            stoppedGeneration = claim.generation();
        }
    }

    boolean reads() {
        return takenOver && !failing && (mode == Mode.RUNNING || (mode == Mode.PROBING && inFlight.isEmpty()));
    }

    /** Nothing of the lane is in flight or waits to be deleted. */
    boolean settled() {
        return inFlight.isEmpty() && known.isEmpty();
    }

    /** The position below the lowest id this lane still has to settle: what a backlog reading counts from. */
    long lowWater() {
        long low = position;
        for (long id : known) {
            low = Math.min(low, id - 1);
        }
        return Math.max(0, low);
    }

    /** Moves the position back so that {@code id} is read again. */
    void rewindTo(long id) {
        position = Math.min(position, Math.max(0, id - 1));
    }

    /** A message handed to the broker (or refused before it could be). */
    static final class Sent {
        final Lane lane;
        final StoredMessage message;
        /** Null when the message could not be turned into an envelope. */
        final OutgoingMessage outgoing;

        final long sentAtNanos;

        boolean done;
        /** Null once acknowledged. */
        OutboxException error;
        /** Its lane failed before it, or the lane left the worker: its outcome is ignored. */
        boolean discarded;

        Sent(Lane lane, StoredMessage message, OutgoingMessage outgoing, long sentAtNanos) {
            this.lane = lane;
            this.message = message;
            this.outgoing = outgoing;
            this.sentAtNanos = sentAtNanos;
        }

        long id() {
            return message.id().value();
        }
    }
}
