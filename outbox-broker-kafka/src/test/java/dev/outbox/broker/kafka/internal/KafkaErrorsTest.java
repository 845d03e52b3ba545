package dev.outbox.broker.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.FatalException;
import dev.outbox.OutboxException;
import dev.outbox.RetriableException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

class KafkaErrorsTest {

    @Test
    void whatRetryingCannotCureIsFatal() {
        assertThat(classify(new RecordTooLargeException("too large"))).isInstanceOf(FatalException.class);
        assertThat(classify(new InvalidTopicException("bad name"))).isInstanceOf(FatalException.class);
        assertThat(classify(new TopicAuthorizationException("denied"))).isInstanceOf(FatalException.class);
        assertThat(classify(new AuthorizationException("denied"))).isInstanceOf(FatalException.class);
        assertThat(classify(new SaslAuthenticationException("bad password"))).isInstanceOf(FatalException.class);
        assertThat(classify(new SerializationException("cannot"))).isInstanceOf(FatalException.class);
    }

    @Test
    void timeoutsReplicasAndNetworkAreRetriable() {
        assertThat(classify(new TimeoutException("slow"))).isInstanceOf(RetriableException.class);
        assertThat(classify(new NotEnoughReplicasException("isr"))).isInstanceOf(RetriableException.class);
        assertThat(classify(new NetworkException("down"))).isInstanceOf(RetriableException.class);
        assertThat(classify(new DisconnectException("gone"))).isInstanceOf(RetriableException.class);
        assertThat(classify(new IllegalArgumentException("unknown"))).isInstanceOf(RetriableException.class);
    }

    @Test
    void aMissingTopicIsFatalOnlyWhenTopicsAreNotCreated() {
        UnknownTopicOrPartitionException missing = new UnknownTopicOrPartitionException("no such topic");
        assertThat(KafkaErrors.classify(missing, "m", true)).isInstanceOf(FatalException.class);
        assertThat(KafkaErrors.classify(missing, "m", false)).isInstanceOf(RetriableException.class);
    }

    @Test
    void unwrapsFuturesAndKeepsTheCauseAndContext() {
        RecordTooLargeException cause = new RecordTooLargeException("1 MB is too much");
        OutboxException e = KafkaErrors.classify(new ExecutionException(cause), "message 7 to topic t", false);
        assertThat(e).isInstanceOf(FatalException.class).hasCause(cause);
        assertThat(e.getMessage()).contains("message 7 to topic t", "RecordTooLargeException", "1 MB is too much");
        RetriableException ours = new RetriableException("already classified");
        assertThat(KafkaErrors.classify(ours, "x", false)).isSameAs(ours);
    }

    private static OutboxException classify(Throwable t) {
        return KafkaErrors.classify(t, "message 1 to topic t", false);
    }
}
