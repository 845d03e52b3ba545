package dev.outbox.benchmarks;

import dev.outbox.Message;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * What the benchmarks send: messages of one topic, spread over a fixed set of keys (so over lanes and partitions),
 * with payloads of a fixed size that differ per message and do not compress. Immutable; thread-safe.
 *
 * @param topic the topic (a Kafka topic, a RabbitMQ routing key)
 * @param keys how many distinct partition keys
 * @param payloadBytes the payload size
 * @param seed the random bytes every payload starts from
 */
record Messages(String topic, int keys, int payloadBytes, byte[] seed) {

    static Messages of(String topic, int keys, int payloadBytes) {
        byte[] seed = new byte[payloadBytes];
        new Random(42).nextBytes(seed);
        return new Messages(topic, keys, payloadBytes, seed);
    }

    Messages withTopic(String other) {
        return new Messages(other, keys, payloadBytes, seed);
    }

    int keyIndex(long i) {
        return (int) (i % keys);
    }

    String key(int index) {
        return "key-" + index;
    }

    String keyOf(long i) {
        return key(keyIndex(i));
    }

    /** Writes message {@code i}'s payload into {@code into} (of {@link #payloadBytes()} bytes). */
    void fillPayload(long i, byte[] into) {
        System.arraycopy(seed, 0, into, 0, into.length);
        if (into.length >= Long.BYTES) {
            ByteBuffer.wrap(into).putLong(0, i);
        }
    }

    byte[] payload(long i) {
        byte[] p = new byte[payloadBytes];
        fillPayload(i, p);
        return p;
    }

    /** Message {@code i} as the application appends it. */
    Message message(long i) {
        return Message.builder(topic)
                .key(keyOf(i))
                .type(Backlog.TYPE)
                .payload(payload(i), Backlog.CONTENT_TYPE)
                .build();
    }
}
