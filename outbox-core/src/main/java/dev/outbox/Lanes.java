package dev.outbox;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * How messages are spread over lanes: by a stable hash of the partition key (or of the topic, for messages without a
 * key), so every message of one key falls into one lane, in every JVM and every version of this library.
 */
public final class Lanes {
    private Lanes() {}

    /**
     * The lane of a message.
     *
     * @param topic its topic
     * @param key its partition key, or null
     * @param lanes the number of lanes, positive
     */
    public static int laneOf(String topic, String key, int lanes) {
        if (lanes <= 0) {
            throw new IllegalArgumentException("lanes must be positive, was " + lanes);
        }
        CRC32C crc = new CRC32C();
        byte[] bytes = (key != null ? key : topic).getBytes(StandardCharsets.UTF_8);
        crc.update(bytes, 0, bytes.length);
        return (int) (crc.getValue() % lanes);
    }
}
