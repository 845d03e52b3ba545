package dev.outbox.benchmarks;

import dev.outbox.Lanes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Loads a backlog of messages into the store's message table with one binary {@code COPY}, in the caller's
 * transaction: the columns the appender writes ({@code lane, topic, partition_key, type, content_type, payload}), the
 * lane computed as the appender does ({@link Lanes#laneOf}), the rest left to the table's defaults (no headers,
 * {@code created_at = now()}, no attempts). Fast enough for a million 1 KiB rows in seconds, where single inserts
 * would take minutes.
 */
final class Backlog {
    /** The binary COPY signature, flags and header extension length. */
    private static final byte[] HEADER = {
        'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
    };

    private static final int CHUNK = 1 << 20;

    static final String TYPE = "BenchEvent";
    static final String CONTENT_TYPE = "application/octet-stream";

    private Backlog() {}

    /**
     * Copies {@code count} messages into {@code table} (a qualified name) through {@code c}, which stays in its
     * transaction: commit it to make them visible.
     *
     * @param lanes the store's lane count
     * @param messages what the messages look like
     * @param first the index of the first message, so several loads make different payloads and keys go round
     */
    static void copy(Connection c, String table, int lanes, Messages messages, long first, long count)
            throws SQLException {
        int keys = messages.keys();
        byte[][] keyBytes = new byte[keys][];
        int[] laneOfKey = new int[keys];
        for (int k = 0; k < keys; k++) {
            keyBytes[k] = messages.key(k).getBytes(StandardCharsets.UTF_8);
            laneOfKey[k] = Lanes.laneOf(messages.topic(), messages.key(k), lanes);
        }
        byte[] topic = messages.topic().getBytes(StandardCharsets.UTF_8);
        byte[] type = TYPE.getBytes(StandardCharsets.UTF_8);
        byte[] contentType = CONTENT_TYPE.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[messages.payloadBytes()];

        CopyIn copy = c.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn("copy " + table + " (lane, topic, partition_key, type, content_type, payload)"
                        + " from stdin (format binary)");
        boolean done = false;
        try {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK + payload.length + 1024);
            buf.put(HEADER);
            for (long i = first; i < first + count; i++) {
                int k = messages.keyIndex(i);
                messages.fillPayload(i, payload);
                buf.putShort((short) 6);
                buf.putInt(4).putInt(laneOfKey[k]);
                field(buf, topic);
                field(buf, keyBytes[k]);
                field(buf, type);
                field(buf, contentType);
                field(buf, payload);
                if (buf.position() >= CHUNK) {
                    copy.writeToCopy(buf.array(), 0, buf.position());
                    buf.clear();
                }
            }
            buf.putShort((short) -1);
            copy.writeToCopy(buf.array(), 0, buf.position());
            copy.endCopy();
            done = true;
        } finally {
            if (!done && copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    private static void field(ByteBuffer buf, byte[] value) {
        buf.putInt(value.length).put(value);
    }
}
