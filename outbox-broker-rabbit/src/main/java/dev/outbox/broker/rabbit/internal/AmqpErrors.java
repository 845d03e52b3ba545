package dev.outbox.broker.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import dev.outbox.FatalException;
import dev.outbox.OutboxException;
import dev.outbox.RetriableException;

/**
 * Translates the AMQP client's exceptions into the outbox's two kinds of failure at the adapter's edge: what retrying
 * cannot cure (refused access, a missing or mismatched exchange or queue) is fatal, everything else retriable.
 */
final class AmqpErrors {
    private AmqpErrors() {}

    /** {@code what} failed because of {@code t}; the result's message names both. */
    static OutboxException translate(String what, Throwable t) {
        if (t instanceof OutboxException o) {
            return o;
        }
        String detail = describe(t);
        if (isFatal(t)) {
            return new FatalException(what + ": " + detail, t);
        }
        return new RetriableException(what + ": " + detail, t);
    }

    /** Whether retrying the operation that failed with {@code t} cannot help. */
    static boolean isFatal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof AuthenticationFailureException || c instanceof PossibleAuthenticationFailureException) {
                return true;
            }
            if (c instanceof ShutdownSignalException sse) {
                int code = replyCode(sse.getReason());
                return code == AMQP.ACCESS_REFUSED || code == AMQP.NOT_FOUND || code == AMQP.PRECONDITION_FAILED;
            }
        }
        return false;
    }

    /** A short description: the broker's reply code and text for a shutdown, else the exception's message. */
    static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException sse) {
                return describe(sse);
            }
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /** What closed a channel or connection, in one line. */
    static String describe(ShutdownSignalException sse) {
        Method reason = sse.getReason();
        String scope = sse.isHardError() ? "connection" : "channel";
        if (reason instanceof AMQP.Channel.Close c) {
            return scope + " closed by the broker: " + c.getReplyCode() + " " + c.getReplyText();
        }
        if (reason instanceof AMQP.Connection.Close c) {
            return scope + " closed" + (sse.isInitiatedByApplication() ? "" : " by the broker") + ": "
                    + c.getReplyCode() + " " + c.getReplyText();
        }
        Throwable cause = sse.getCause();
        return scope + " lost" + (cause == null ? "" : ": " + cause);
    }

    private static int replyCode(Method reason) {
        if (reason instanceof AMQP.Channel.Close c) {
            return c.getReplyCode();
        }
        if (reason instanceof AMQP.Connection.Close c) {
            return c.getReplyCode();
        }
        return 0;
    }
}
