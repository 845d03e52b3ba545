package dev.outbox.spring.actuate;

import dev.outbox.Relay;
import dev.outbox.StoppedLane;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The outbox's health (Actuator's {@code outbox} component):
 *
 * <ul>
 *   <li>{@code DOWN} while a lane is stopped (G4): its messages wait for an operator; the details list each stopped
 *       lane, and {@code POST /actuator/outbox/restart/{lane}} restarts one;
 *   <li>{@code OUT_OF_SERVICE} while this relay holds no lane (another instance holds them all, or it cannot reach the
 *       lane table), or while the oldest message of its lanes is older than {@code outbox.relay.lag-threshold};
 *   <li>{@code UP} otherwise.
 * </ul>
 *
 * Details: the relay's id, the lanes it holds, the messages waiting in them and the oldest one's age (from the relay's
 * own periodic reading, so a health check runs one query: the stopped lanes).
 */
public final class OutboxHealthIndicator extends AbstractHealthIndicator {
    private final Relay relay;
    private final BacklogReading backlog;
    private final Duration lagThreshold;

    /**
     * @param relay the relay
     * @param backlog the relay's backlog reading
     * @param lagThreshold age of the oldest message past which the relay is behind
     */
    public OutboxHealthIndicator(Relay relay, BacklogReading backlog, Duration lagThreshold) {
        super("outbox health check failed");
        this.relay = relay;
        this.backlog = backlog;
        this.lagThreshold = lagThreshold;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        List<StoppedLane> stopped = relay.stoppedLanes();
        int held = relay.ownedLanes().size();
        Optional<Duration> oldest = backlog.oldestAge();
        if (!stopped.isEmpty()) {
            builder.down();
        } else if (held == 0
                || oldest.filter(age -> age.compareTo(lagThreshold) > 0).isPresent()) {
            builder.outOfService();
        } else {
            builder.up();
        }
        builder.withDetail("relay", relay.id()).withDetail("lanesHeld", held).withDetail("waiting", backlog.waiting());
        oldest.ifPresent(age -> builder.withDetail("oldestAge", age.toString()));
        if (held == 0) {
            builder.withDetail("reason", "this relay holds no lane");
        } else if (oldest.filter(age -> age.compareTo(lagThreshold) > 0).isPresent()) {
            builder.withDetail("reason", "the oldest message waits longer than " + lagThreshold);
        }
        if (!stopped.isEmpty()) {
            builder.withDetail(
                    "stoppedLanes",
                    stopped.stream().map(OutboxHealthIndicator::describe).toList());
        }
    }

    static Map<String, Object> describe(StoppedLane s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lane", s.lane());
        m.put("messageId", s.messageId().value());
        m.put("topic", s.topic());
        m.put("reason", s.reason());
        m.put("attempts", s.attempts());
        m.put("stoppedAt", s.stoppedAt().toString());
        return m;
    }
}
