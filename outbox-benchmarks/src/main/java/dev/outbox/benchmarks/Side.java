package dev.outbox.benchmarks;

import dev.outbox.Envelope;
import dev.outbox.MessageId;
import dev.outbox.spi.Broker;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A message broker the benchmarks publish to, two ways: through the outbox's adapter, and through the plain client
 * with the same settings (the baseline).
 */
interface Side extends AutoCloseable {

    /** The source every benchmark message carries. */
    String SOURCE = "outbox-bench";

    /** {@code kafka} or {@code rabbit}. */
    String name();

    /** A new, empty destination (a topic; an exchange with a queue bound to everything) with a unique name. */
    String createDestination();

    /** Deletes a destination and what it holds. */
    void dropDestination(String destination);

    /** How many messages reached the destination, for a duplicate check: Kafka's record count, the queue's depth. */
    long delivered(String destination);

    /** The outbox's adapter, publishing to {@code destination}; closed by the caller. */
    Broker broker(String destination);

    /** The plain client with the adapter's settings, publishing to {@code destination}. */
    Raw raw(String destination);

    /** The version of the broker server, for the report. */
    String serverVersion();

    @Override
    void close();

    /** The plain client of a broker, publishing the same messages as the relay would. */
    interface Raw extends AutoCloseable {

        /**
         * Sends messages {@code first} to {@code first + count - 1} as fast as the client allows and waits for every
         * acknowledgement.
         *
         * @return nanoseconds from the first send to the last acknowledgement
         */
        long sendAll(Messages messages, long first, long count) throws InterruptedException;

        /**
         * Sends at {@code rate} messages a second (open loop: on a schedule, whatever the acknowledgements do) for
         * {@code warmup + measure}, and returns the send-to-acknowledgement latencies (microseconds) of the messages
         * sent during {@code measure}.
         */
        Histogram openLoop(Messages messages, double rate, Duration warmup, Duration measure)
                throws InterruptedException;

        @Override
        void close();
    }

    /** The envelope headers the relay would send with message {@code i} (id {@code i + 1}). */
    static Map<String, String> envelopeHeaders(Messages m, long i) {
        return new Envelope(
                        new MessageId(i + 1),
                        SOURCE,
                        m.topic(),
                        m.keyOf(i),
                        Backlog.TYPE,
                        Backlog.CONTENT_TYPE,
                        Instant.now(),
                        Map.of())
                .toHeaders();
    }
}
