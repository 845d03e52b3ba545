package dev.outbox.spi;

import dev.outbox.Message;
import java.util.Objects;

/**
 * A validated message with its lane, handed to {@link MessageStore#append}.
 *
 * @param lane the lane, from {@code 0} to {@code MessageStore.lanes() - 1}
 * @param message the message
 */
public record NewMessage(int lane, Message message) {
    public NewMessage {
        Objects.requireNonNull(message, "message");
        if (lane < 0) {
            throw new IllegalArgumentException("lane must not be negative, was " + lane);
        }
    }
}
