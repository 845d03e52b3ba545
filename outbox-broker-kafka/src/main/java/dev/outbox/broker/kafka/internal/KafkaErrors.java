package dev.outbox.broker.kafka.internal;

import dev.outbox.FatalException;
import dev.outbox.OutboxException;
import dev.outbox.RetriableException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Translates Kafka client failures into the outbox's two branches: {@link FatalException} when sending the same record
 * again cannot succeed (too large, invalid topic, not authorised or authenticated, unserializable, a topic that does
 * not exist while topics are not created), {@link RetriableException} for everything else, Kafka's own {@link
 * org.apache.kafka.common.errors.RetriableException} first among them (timeouts, not enough replicas, network errors,
 * a leader moving). An unknown failure counts as retriable: the relay then stops the lane after its maximum attempts
 * anyway, so nothing loops forever.
 */
public final class KafkaErrors {
    private static final List<Class<? extends Throwable>> FATAL = List.of(
            RecordTooLargeException.class,
            RecordBatchTooLargeException.class,
            InvalidTopicException.class,
            AuthorizationException.class,
            AuthenticationException.class,
            SerializationException.class,
            InvalidRecordException.class,
            UnsupportedVersionException.class,
            PolicyViolationException.class,
            InvalidReplicationFactorException.class,
            InvalidPartitionsException.class,
            InvalidConfigurationException.class,
            ConfigException.class);

    private KafkaErrors() {}

    /**
     * The outbox exception for {@code failure}.
     *
     * @param failure what the Kafka client threw or completed a future with
     * @param what what was being done, for the message, e.g. {@code "message 42 to topic orders"}
     * @param missingTopicIsFatal whether an unknown topic will stay unknown (topics are not created)
     */
    public static OutboxException classify(Throwable failure, String what, boolean missingTopicIsFatal) {
        Throwable t = unwrap(failure);
        if (t instanceof OutboxException o) {
            return o;
        }
        String message = what + ": " + t.getClass().getSimpleName() + ": " + t.getMessage();
        if (t instanceof UnknownTopicOrPartitionException) {
            return missingTopicIsFatal ? new FatalException(message, t) : new RetriableException(message, t);
        }
        for (Class<? extends Throwable> fatal : FATAL) {
            if (fatal.isInstance(t)) {
                return new FatalException(message, t);
            }
        }
        return new RetriableException(message, t);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof ExecutionException || current instanceof CompletionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
