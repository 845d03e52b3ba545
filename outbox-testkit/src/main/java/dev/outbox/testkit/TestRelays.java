package dev.outbox.testkit;

import dev.outbox.Backoff;
import dev.outbox.LaneStatus;
import dev.outbox.Message;
import dev.outbox.Relay;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** A relay tuned for end-to-end tests, and what those tests ask of the store and of what they committed. */
public final class TestRelays {
    private TestRelays() {}

    /**
     * A relay that reacts within tens of milliseconds: polls every 20 ms, retries a failing message every 100 ms up to
     * 1000 times (a broker outage of a test never stops a lane), heartbeats every 500 ms with a 5 s lease, and waits
     * 15 s for acknowledgements. Every setting can still be changed on the builder.
     */
    public static Relay.Builder quick(MessageStore store, Broker broker, String source) {
        return Relay.builder()
                .store(store)
                .broker(broker)
                .source(source)
                .frequency(Duration.ofMillis(20))
                .backoff(Backoff.fixed(Duration.ofMillis(100)))
                .maxAttempts(1000)
                .publishTimeout(Duration.ofSeconds(15))
                .lease(Duration.ofSeconds(5))
                .heartbeat(Duration.ofMillis(500));
    }

    /** Messages still waiting in {@code store}: in {@code lane}, or in every lane for -1. */
    public static long backlog(MessageStore store, int lane) {
        return store.status().stream()
                .filter(s -> lane == -1 || s.lane() == lane)
                .mapToLong(LaneStatus::backlog)
                .sum();
    }

    /** The ids of the {@code committed} messages whose topic passes {@code topic}. */
    public static Set<Long> idsOfTopics(Map<Long, Message> committed, Predicate<String> topic) {
        return committed.entrySet().stream()
                .filter(e -> topic.test(e.getValue().topic()))
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }
}
