package dev.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lanes must not change between versions: stored rows carry their lane, and a new hash would split one key's messages
 * over two lanes, out of order. These exact values are CRC-32C of the key's UTF-8 bytes, modulo the lane count.
 */
class LanesTest {

    @ParameterizedTest
    @CsvSource({
        "Warehouse.Events.ProductAdded, sku-42, 8, 2",
        "Warehouse.Events.ProductAdded, sku-42, 64, 34",
        "Warehouse.Events.ProductAdded, sku-42, 1024, 546",
        "orders, customer-1, 64, 17",
        "orders, customer-2, 64, 37",
        "orders, customer-2, 1024, 997",
        "x, ключ-😀, 64, 38",
    })
    void laneOfAKeyIsPinned(String topic, String key, int lanes, int expected) {
        assertThat(Lanes.laneOf(topic, key, lanes)).isEqualTo(expected);
    }

    @Test
    void aMessageWithoutKeyFallsInTheLaneOfItsTopic() {
        assertThat(Lanes.laneOf("Warehouse.Events.ProductAdded", null, 8)).isEqualTo(3);
        assertThat(Lanes.laneOf("Warehouse.Events.ProductAdded", null, 64)).isEqualTo(11);
        assertThat(Lanes.laneOf("Warehouse.Events.ProductAdded", null, 64))
                .isEqualTo(Lanes.laneOf("any topic", "Warehouse.Events.ProductAdded", 64));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 1000, Integer.MAX_VALUE})
    void everyLaneIsInRange(int lanes) {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 10_000; i++) {
            String key = Long.toHexString(random.nextLong()) + "-" + i;
            assertThat(Lanes.laneOf("t", key, lanes)).isBetween(0, lanes - 1);
        }
    }

    @Test
    void keysSpreadOverEveryLane() {
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 6400; i++) {
            used.add(Lanes.laneOf("t", "customer-" + i, 64));
        }
        assertThat(used).hasSize(64);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void refusesALaneCountThatIsNotPositive(int lanes) {
        assertThatThrownBy(() -> Lanes.laneOf("t", "k", lanes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lanes must be positive, was " + lanes);
    }
}
