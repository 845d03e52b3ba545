package dev.outbox.spring.actuate;

import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.Relay;
import dev.outbox.spi.MessageStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The Actuator endpoint {@code outbox}, the operator's view and hands (the same operations as {@code outbox-admin}):
 *
 * <ul>
 *   <li>{@code GET /actuator/outbox}: the relay, the lanes it holds, its backlog reading, the stopped lanes and the
 *       parked messages;
 *   <li>{@code POST /actuator/outbox/restart/{lane}}: retry a stopped lane's head message with fresh attempts;
 *   <li>{@code POST /actuator/outbox/skip/{lane}}: park a stopped lane's head message and go on with the next;
 *   <li>{@code POST /actuator/outbox/replay/{messageId}}: put a parked message back in its lane, with its id.
 * </ul>
 *
 * Expose it like any endpoint ({@code management.endpoints.web.exposure.include=health,outbox}) and secure it: its
 * write operations change what is published.
 */
@Endpoint(id = "outbox")
public final class OutboxEndpoint {
    private final Relay relay;
    private final MessageStore store;
    private final BacklogReading backlog;

    /** The endpoint over a relay and its store. */
    public OutboxEndpoint(Relay relay, MessageStore store, BacklogReading backlog) {
        this.relay = relay;
        this.store = store;
        this.backlog = backlog;
    }

    /** The relay's status, stopped lanes and parked messages. */
    @ReadOperation
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("relay", relay.id());
        m.put("lanesHeld", relay.ownedLanes().stream().sorted().toList());
        m.put("waiting", backlog.waiting());
        backlog.oldestAge().ifPresent(age -> m.put("oldestAge", age.toString()));
        m.put(
                "stoppedLanes",
                relay.stoppedLanes().stream()
                        .map(OutboxHealthIndicator::describe)
                        .toList());
        m.put("parked", store.parked().stream().map(OutboxEndpoint::describe).toList());
        return m;
    }

    /**
     * {@code restart} or {@code skip} a stopped lane, or {@code replay} a parked message.
     *
     * @param operation {@code restart}, {@code skip} or {@code replay}
     * @param target the lane (restart, skip) or the parked message's id (replay)
     * @throws InvalidEndpointRequestException (answered 400) for another operation, a lane that is not stopped, an id
     *     that is not parked
     */
    @WriteOperation
    public Map<String, Object> operate(@Selector String operation, @Selector long target) {
        try {
            return switch (operation) {
                case "restart" -> OutboxHealthIndicator.describe(relay.restart(lane(target)));
                case "skip" -> describe(relay.skip(lane(target)));
                case "replay" -> {
                    if (!store.replay(new MessageId(target))) {
                        throw new IllegalArgumentException("no parked message has id " + target);
                    }
                    yield Map.of("replayed", target);
                }
                default -> throw new IllegalArgumentException(
                        "unknown operation '" + operation + "': restart, skip or replay");
            };
        } catch (IllegalArgumentException e) {
            // The operator's mistake, not the server's: Actuator answers this one 400 with the reason.
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage(), e);
        }
    }

    private static int lane(long target) {
        if (target < 0 || target > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("no lane " + target);
        }
        return (int) target;
    }

    private static Map<String, Object> describe(ParkedMessage p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messageId", p.messageId().value());
        m.put("lane", p.lane());
        m.put("topic", p.topic());
        m.put("type", p.type());
        m.put("reason", p.reason());
        m.put("parkedAt", p.parkedAt().toString());
        return m;
    }
}
