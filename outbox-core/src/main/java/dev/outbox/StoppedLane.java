package dev.outbox;

import java.time.Instant;
import java.util.Objects;

/**
 * A lane the relay stopped because its head message kept failing. Nothing in the lane is published until an operator
 * restarts it (retry the head) or skips its head (park it aside).
 *
 * @param lane the lane number
 * @param messageId the head message that failed
 * @param topic that message's topic
 * @param reason the last error, as the broker adapter described it
 * @param attempts how many times the head was tried
 * @param stoppedAt when the lane was stopped
 */
public record StoppedLane(int lane, MessageId messageId, String topic, String reason, int attempts, Instant stoppedAt) {
    public StoppedLane {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(stoppedAt, "stoppedAt");
    }
}
