package dev.outbox;

/** A builder or a module was given a setting it cannot work with. The message names the setting. */
public final class InvalidConfigurationException extends OutboxException {
    private static final long serialVersionUID = 1L;

    public InvalidConfigurationException(String message) {
        super(message);
    }

    public InvalidConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
