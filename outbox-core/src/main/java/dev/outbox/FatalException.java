package dev.outbox;

/**
 * A failure that retrying will not cure: a record larger than the broker accepts, an invalid topic, a message no queue
 * is bound to, an authorisation failure, a payload the serializer cannot read. The relay stops the message's lane at
 * once and tells the {@link dev.outbox.spi.PartitionMonitor}.
 */
public class FatalException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public FatalException(String message) {
        super(message);
    }

    public FatalException(String message, Throwable cause) {
        super(message, cause);
    }
}
