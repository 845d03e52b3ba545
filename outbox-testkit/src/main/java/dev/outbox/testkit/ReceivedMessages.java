package dev.outbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link MessageHandler} for end-to-end tests that keeps everything a subscriber received: every copy, by message
 * id, and the order of arrival. Then it answers what such tests ask: did every message arrive, which more than once,
 * and did each key's messages first arrive in order.
 *
 * <pre>{@code
 * ReceivedMessages received = new ReceivedMessages();
 * broker.subscribe(SubscriptionSpec.builder("it").patterns("Warehouse.Events.#").build(), received);
 * ...
 * await().until(() -> received.ids().containsAll(committed));
 * received.assertFirstSeenInKeyOrder();
 * }</pre>
 *
 * Thread-safe: subscribers call it from their own threads.
 */
public final class ReceivedMessages implements MessageHandler {
    private final List<IncomingMessage> arrivals = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void handle(IncomingMessage message) {
        arrivals.add(message);
    }

    /** Every delivery, in the order of arrival (copies included). */
    public List<IncomingMessage> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    /** The deliveries of each message id, in the order of arrival. */
    public Map<Long, List<IncomingMessage>> byId() {
        Map<Long, List<IncomingMessage>> byId = new LinkedHashMap<>();
        for (IncomingMessage m : arrivals()) {
            byId.computeIfAbsent(m.messageId().value(), k -> new ArrayList<>()).add(m);
        }
        return byId;
    }

    /** The ids of the messages received at least once. */
    public Set<Long> ids() {
        return byId().keySet();
    }

    /** How many messages arrived more than once. */
    public long duplicated() {
        return byId().values().stream().filter(copies -> copies.size() > 1).count();
    }

    /** The ids of the messages of {@code topic} and {@code key}, in the order each first arrived. */
    public List<Long> firstSeen(String topic, String key) {
        return firstSeenByKey().getOrDefault(topic + "/" + key, List.of());
    }

    /**
     * Asserts that, per topic and key, messages first arrived in id order: the order a deduplicating consumer applies
     * them in. (Id order is commit order where the appending code serialises the writes of a key.)
     */
    public void assertFirstSeenInKeyOrder() {
        Map<String, List<Long>> byKey = firstSeenByKey();
        assertThat(byKey).as("messages received").isNotEmpty();
        byKey.forEach(
                (key, ids) -> assertThat(ids).as("first arrivals of " + key).isSorted());
    }

    private Map<String, List<Long>> firstSeenByKey() {
        Map<String, List<Long>> byKey = new LinkedHashMap<>();
        Set<Long> seen = new HashSet<>();
        for (IncomingMessage m : arrivals()) {
            if (seen.add(m.messageId().value())) {
                byKey.computeIfAbsent(m.envelope().topic() + "/" + m.envelope().key(), k -> new ArrayList<>())
                        .add(m.messageId().value());
            }
        }
        return byKey;
    }
}
