package dev.outbox.admin;

import dev.outbox.OutboxException;

/** A failure of a command that the operator can act on: its message says what went wrong, its code is the exit code. */
final class AdminException extends OutboxException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    AdminException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    AdminException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
