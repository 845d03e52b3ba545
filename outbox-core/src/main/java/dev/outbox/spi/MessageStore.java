package dev.outbox.spi;

import dev.outbox.LaneBacklog;
import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where messages wait between the application's transaction and the broker.
 *
 * <p>The application side ({@link #append}) writes through the caller's own connection, inside the caller's
 * transaction. The relay side claims lanes, fetches batches and acknowledges them; every relay write is fenced by the
 * {@link LaneClaim#epoch() epoch} of the lane it concerns. The operator side lists, restarts and skips stopped lanes.
 *
 * <p>Implementations are thread-safe. Every method translates its database errors into {@link
 * dev.outbox.StoreException}. A store implementation should pass the published contract test in {@code
 * outbox-testkit} ({@code MessageStoreContract}).
 */
public interface MessageStore {

    /** How many lanes the store's messages are spread over; fixed when the store's tables are created. */
    int lanes();

    // --- the application's side -------------------------------------------------------------------------------

    /**
     * Stores messages in the caller's transaction, in list order (ids increase along the list).
     *
     * @param transaction the caller's connection, inside a transaction; not closed, committed or rolled back here
     * @return the ids given, in list order
     * @throws dev.outbox.TransactionRequiredException if the connection is closed or in auto-commit mode
     * @throws dev.outbox.TransactionAbortedException if an earlier statement failed and the database aborted the
     *     transaction (stores that can tell: a commit would silently roll back)
     * @throws dev.outbox.StoreException if the database refused the insert (the caller's transaction should be rolled
     *     back)
     */
    List<MessageId> append(Connection transaction, List<NewMessage> messages);

    /**
     * The messages waiting in the store as the caller's transaction sees them, oldest first: those it appended itself
     * and not yet committed included. For tests that check what a command appended, without a broker.
     */
    List<StoredMessage> peek(Connection transaction, int limit);

    // --- the relay's side --------------------------------------------------------------------------------------

    /**
     * Renews this relay's lease on its lanes, claims free or expired lanes up to its fair share, and returns what it
     * holds. Called on the relay's heartbeat thread, never from a batch.
     *
     * @param relayId a name unique to this relay instance
     * @param lease how long the claims last without another heartbeat
     */
    LaneAssignment heartbeat(String relayId, Duration lease);

    /** Gives up some lanes (the surplus over a fair share), so that another relay can claim them. */
    void release(String relayId, Collection<Integer> lanes);

    /** Gives up every lane of this relay and forgets it; called when a relay closes. */
    void leave(String relayId);

    /**
     * Reads the lanes of a relay (or of its share of the work) from their read positions, and looks for late messages
     * below those positions: see {@link Fetched} for what is returned. The cost of a fetch depends on what it returns,
     * not on how many messages were acknowledged before (dead rows a long transaction keeps from being vacuumed) nor
     * on the store's statistics.
     */
    Fetched fetch(FetchRequest request);

    /**
     * Removes published messages (deletes them, or marks them sent when the store keeps a retention window), in one
     * statement. A message whose lane this relay no longer holds under the claimed epoch is left alone.
     *
     * @return how many messages were acknowledged
     */
    int acknowledge(String relayId, Collection<LaneClaim> claims, Collection<MessageId> ids);

    /** Records a failed attempt: the message's attempt count goes up and its last error is kept. Fenced. */
    void recordFailure(String relayId, LaneClaim claim, MessageId id, String error);

    /**
     * Stops a lane at its head message, fenced by the claim.
     *
     * @return the stop record, empty if the relay no longer holds the lane (or it is already stopped)
     */
    Optional<StoppedLane> stop(String relayId, LaneClaim claim, StoredMessage head, String reason);

    // --- the operator's side -----------------------------------------------------------------------------------

    /** The stopped lanes, by lane number. */
    List<StoppedLane> stoppedLanes();

    /**
     * Restarts a stopped lane: its head message gets a fresh set of attempts.
     *
     * @return the stop record removed, empty if the lane was not stopped
     */
    Optional<StoppedLane> restart(int lane);

    /**
     * Takes the head message of a stopped lane out of the lane, keeps it aside (parked) and restarts the lane.
     *
     * @return the parked message, empty if the lane was not stopped
     */
    Optional<ParkedMessage> skip(int lane);

    /** Parked messages, oldest first. */
    List<ParkedMessage> parked();

    /**
     * Puts a parked message back in its lane with its original id, so it is published again.
     *
     * @return whether a parked message with that id existed
     */
    boolean replay(MessageId id);

    /** Every lane's backlog, oldest age, owner and stop record. */
    List<LaneStatus> status();

    /**
     * What waits in each of the given lanes from the cursor's position on: the messages with an id after {@code
     * after}, counted up to the cursor's {@code limit}, the creation time of the oldest of them, and whether the lane is
     * stopped. For the relay's lag
     * check and metrics, every few seconds: like {@link #fetch}, it reads from the positions, so its cost does not grow
     * with rows deleted below them. The default answers from {@link #status()}, ignoring positions and bounds.
     */
    default List<LaneBacklog> backlog(List<LaneCursor> lanes) {
        Map<Integer, LaneStatus> all = new HashMap<>();
        status().forEach(st -> all.put(st.lane(), st));
        Instant now = Instant.now();
        List<LaneBacklog> out = new ArrayList<>();
        for (LaneCursor c : lanes) {
            LaneStatus st = all.get(c.lane());
            if (st != null) {
                out.add(new LaneBacklog(
                        c.lane(),
                        st.backlog(),
                        false,
                        st.oldestAge().map(now::minus),
                        st.stopped().isPresent()));
            }
        }
        return out;
    }

    // --- wake-up ----------------------------------------------------------------------------------------------

    /**
     * Asks to be told soon after a transaction that appended messages commits, so the relay need not wait for its next
     * poll. The default tells nothing (the relay then relies on polling).
     *
     * @param listener called from a store thread; must return quickly
     * @return a handle that stops the notifications when closed
     */
    default AutoCloseable onAppend(Runnable listener) {
        return () -> {};
    }

    /**
     * Deletes acknowledged messages kept past a retention window, at most {@code limit} of them. The default does
     * nothing (a store that deletes on acknowledge keeps nothing).
     *
     * @return how many were deleted
     */
    default int purgeSent(int limit) {
        return 0;
    }
}
