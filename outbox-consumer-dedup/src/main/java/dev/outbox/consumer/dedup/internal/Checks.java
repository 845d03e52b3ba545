package dev.outbox.consumer.dedup.internal;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageId;
import java.util.regex.Pattern;

/** Checks of the arguments the module accepts; each failure names the argument. */
public final class Checks {
    /** As a subscription's name, so that users can reuse it. */
    public static final int MAX_CONSUMER_LENGTH = 200;

    private static final Pattern CONSUMER = Pattern.compile("[A-Za-z0-9._-]+");

    private Checks() {}

    /**
     * A consumer's name: letters, digits, '.', '_' and '-', at most 200 characters (the rule of a subscription's name).
     *
     * @throws InvalidConfigurationException naming {@code property}
     */
    public static String consumer(String value, String property) {
        if (value == null) {
            throw new InvalidConfigurationException(property + " must not be null");
        }
        if (value.isEmpty()
                || value.length() > MAX_CONSUMER_LENGTH
                || !CONSUMER.matcher(value).matches()) {
            throw new InvalidConfigurationException(property + " must be letters, digits, '.', '_' or '-', at most "
                    + MAX_CONSUMER_LENGTH + " characters; was '" + value + "'");
        }
        return value;
    }

    /**
     * The source of a message to record. The envelope already refuses a missing source; this guards callers that
     * bypass it, because recording a blank source would merge unrelated producers' ids.
     *
     * @throws InvalidMessageException naming the problem
     */
    public static String source(String source) {
        if (source == null) {
            throw new InvalidMessageException("message source must not be null: cannot deduplicate it");
        }
        if (source.isBlank()) {
            throw new InvalidMessageException("message source must not be blank: cannot deduplicate it");
        }
        return source;
    }

    /**
     * The id of a message to record.
     *
     * @throws InvalidMessageException if it is null
     */
    public static MessageId messageId(MessageId id) {
        if (id == null) {
            throw new InvalidMessageException("message_id must not be null: cannot deduplicate the message");
        }
        return id;
    }
}
