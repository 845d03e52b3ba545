package dev.outbox;

import java.time.Instant;

/**
 * A message an operator took out of its lane with {@code skip}, kept aside so that it can be replayed.
 *
 * @param messageId its original id (kept on replay, so consumers still deduplicate it)
 * @param lane the lane it came from
 * @param topic its topic
 * @param type its type
 * @param reason why its lane had stopped
 * @param parkedAt when it was parked
 */
public record ParkedMessage(
        MessageId messageId, int lane, String topic, String type, String reason, Instant parkedAt) {}
