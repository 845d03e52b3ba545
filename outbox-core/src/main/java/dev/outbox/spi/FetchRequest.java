package dev.outbox.spi;

import java.util.List;
import java.util.Objects;

/**
 * What a relay asks of {@link MessageStore#fetch}: the lanes it holds with their read positions, how many messages it
 * can take, and the mark of its previous fetch of the same lanes.
 *
 * @param lanes every lane the relay (or its share of the work) holds, each once; a lane with a read position must be
 *     in every request from the fetch that set the position on, or its late messages could be missed
 * @param limit the most messages read after the lanes' positions, over all lanes
 * @param since the previous fetch's {@link Fetched#mark()}, or {@link ReadMark#NONE} before the first
 */
public record FetchRequest(List<LaneCursor> lanes, int limit, ReadMark since) {
    public FetchRequest {
        lanes = List.copyOf(lanes);
        Objects.requireNonNull(since, "since");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, was " + limit);
        }
    }
}
