package dev.outbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outbox.Backoff;
import dev.outbox.DeadLetterHeaders;
import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.spi.Broker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Broker} adapter passes, published so that third-party adapters can check themselves too.
 * Extend it in an integration test of the adapter, against a real broker, and implement the five abstract methods:
 *
 * <pre>{@code
 * class KafkaBrokerContractIT extends BrokerContract {
 *     static KafkaBroker broker;   // one per class: JUnit makes a new test instance per test
 *
 *     @BeforeAll static void start() { broker = ...; }
 *     @AfterAll static void stop() { broker.close(); }
 *
 *     @Override protected Broker broker() { return broker; }
 *     ...
 * }
 * }</pre>
 *
 * <p>What it checks: one future per published message, in order, each completing on acknowledgement; per-key order
 * from publisher to handler; a message the broker can never take fails with {@link FatalException} while the rest of
 * its batch goes through; an unreachable broker fails with {@link RetriableException}; the envelope (id, source,
 * type, content type, creation time, key, user headers with a W3C {@code traceparent}) arrives intact; a handler that
 * keeps failing sees {@code maxAttempts} attempts and its message is dead-lettered with the {@link DeadLetterHeaders},
 * without holding back the messages behind it; a {@link FatalException} from the handler and a message without an
 * envelope are dead-lettered at once.
 *
 * <p>Each test subscribes before it publishes, and a subscription must receive what is published after {@code
 * subscribe} returns. Topics and subscription names are unique per run ({@code contract.<run>.<name>.<n>} and {@code
 * contract-<run>-<name>-<n>}); the contract closes its subscriptions after each test and then calls {@link #cleanUp}
 * with what the test created, for adapters on a shared server to delete.
 */
public abstract class BrokerContract {
    private static final String RUN =
            UUID.randomUUID().toString().replace("-", "").substring(0, 8).toLowerCase(Locale.ROOT);
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final AtomicLong IDS = new AtomicLong(System.currentTimeMillis());
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final List<Subscription> subscriptions = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();
    private final List<SubscriptionSpec> specs = new ArrayList<>();

    /** A message as read back from a dead-letter destination: its headers (strings) and payload. */
    public record DeadLetter(Map<String, String> headers, byte[] payload) {
        public DeadLetter {
            headers = Map.copyOf(headers);
        }

        /** The payload as UTF-8 text. */
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    // --- what an adapter provides ----------------------------------------------------------------------------------

    /**
     * The broker under test, connected to a real server. The same instance for the whole class (keep it in a static
     * field); the contract never closes it.
     */
    protected abstract Broker broker();

    /**
     * A variant of {@code valid} that the broker must refuse with a {@link FatalException}, such as a payload over the
     * broker's size limit (Kafka) or a routing key no queue is bound to (RabbitMQ). Keep its envelope's message id.
     */
    protected abstract OutgoingMessage fatallyRefused(OutgoingMessage valid);

    /**
     * A new broker of the adapter configured for a server that does not answer (a closed port), with timeouts short
     * enough that its publish futures fail within {@link #timeout()}. The contract closes it.
     */
    protected abstract Broker unreachableBroker();

    /** Sends {@code payload} to {@code topic} with the broker's own client, without any envelope header. */
    protected abstract void publishWithoutEnvelope(String topic, byte[] payload);

    /**
     * What the subscription {@code spec} has dead-lettered: waits until there are at least {@code count} or {@code
     * timeout} has passed, and returns what it found (possibly more), oldest first. Must not consume them for good.
     */
    protected abstract List<DeadLetter> deadLetters(SubscriptionSpec spec, int count, Duration timeout);

    /** How long any one expectation may take. Default 60 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(60);
    }

    /**
     * Deletes what a test created on the server: its topics (or routing keys) and its subscriptions, whose dead-letter
     * destinations are {@link SubscriptionSpec#deadLetterOrDefault()}. Called after each test, once its subscriptions
     * are closed. Default: nothing (for a server that is thrown away after the class).
     */
    protected void cleanUp(List<String> topics, List<SubscriptionSpec> subscriptions) {}

    // --- the contract --------------------------------------------------------------------------------------------

    /** One future per message, in order; each completes when the broker acknowledged it, and the subscriber gets them all. */
    @Test
    public final void publishReturnsOneFuturePerMessageAndAcknowledgesEach() throws Exception {
        String t = topic("results");
        Received received = new Received();
        subscribe(spec("results").patterns(t).build(), received);
        List<OutgoingMessage> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(message(t, "key-" + (i % 5), "message " + i, Map.of()));
        }

        List<CompletableFuture<Void>> futures = broker().publish(batch);

        assertThat(futures).hasSize(batch.size());
        for (CompletableFuture<Void> f : futures) {
            f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        await().atMost(timeout()).untilAsserted(() -> assertThat(received.ids()).containsAll(ids(batch)));
        assertThat(broker().publish(List.of())).isEmpty();
    }

    /** Messages of one key reach the handler in the order published, with several handler threads. */
    @Test
    public final void keepsTheOrderOfEachKeyFromPublisherToHandler() throws Exception {
        String t = topic("order");
        Received received = new Received();
        subscribe(spec("order").patterns(t).concurrency(4).build(), received);
        Map<String, List<MessageId>> publishedByKey = new LinkedHashMap<>();
        List<MessageId> all = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            List<OutgoingMessage> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String key = "key-" + ((i * 7 + round) % 6);
                OutgoingMessage m = message(t, key, "round " + round + " message " + i, Map.of());
                batch.add(m);
                publishedByKey
                        .computeIfAbsent(key, k -> new ArrayList<>())
                        .add(m.envelope().messageId());
                all.add(m.envelope().messageId());
            }
            for (CompletableFuture<Void> f : broker().publish(batch)) {
                f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        await().atMost(timeout()).untilAsserted(() -> assertThat(received.ids()).containsAll(all));
        Map<String, List<MessageId>> receivedByKey = new HashMap<>();
        for (IncomingMessage m : received.firstDeliveries()) {
            receivedByKey
                    .computeIfAbsent(m.envelope().key(), k -> new ArrayList<>())
                    .add(m.messageId());
        }
        assertThat(receivedByKey).isEqualTo(publishedByKey);
    }

    /** What the broker can never take fails with {@link FatalException}; the rest of its batch is delivered. */
    @Test
    public final void refusesFatallyWhatItCanNeverTakeAndPublishesTheRestOfTheBatch() throws Exception {
        String t = topic("fatal");
        Received received = new Received();
        subscribe(spec("fatal").patterns(t).build(), received);
        OutgoingMessage before = message(t, "a", "before", Map.of());
        OutgoingMessage refused = fatallyRefused(message(t, "b", "refused", Map.of()));
        OutgoingMessage after = message(t, "c", "after", Map.of());

        List<CompletableFuture<Void>> futures = broker().publish(List.of(before, refused, after));

        assertThat(futures).hasSize(3);
        futures.get(0).get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        futures.get(2).get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> futures.get(1).get(timeout().toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(FatalException.class);
        await().atMost(timeout()).untilAsserted(() -> assertThat(received.ids())
                .contains(before.envelope().messageId(), after.envelope().messageId()));
        assertThat(received.ids()).doesNotContain(refused.envelope().messageId());
    }

    /** A broker that cannot be reached fails each future with {@link RetriableException}, within the timeout. */
    @Test
    public final void anUnreachableBrokerFailsRetriably() {
        String t = topic("unreachable");
        List<OutgoingMessage> batch = List.of(message(t, "a", "one", Map.of()), message(t, "b", "two", Map.of()));
        try (Broker unreachable = unreachableBroker()) {
            List<CompletableFuture<Void>> futures = unreachable.publish(batch);

            assertThat(futures).hasSize(2);
            for (CompletableFuture<Void> f : futures) {
                assertThatThrownBy(() -> f.get(timeout().toMillis(), TimeUnit.MILLISECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOf(RetriableException.class);
            }
        }
    }

    /** The envelope arrives equal to the one sent: id, source, topic, key (or none), type, content type, creation time to the nanosecond, user headers with {@code traceparent} and non-ASCII text. */
    @Test
    public final void deliversTheEnvelopeIntact() throws Exception {
        String t = topic("envelope");
        Received received = new Received();
        subscribe(spec("envelope").patterns(t).build(), received);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("traceparent", TRACEPARENT);
        headers.put("tracestate", "vendor=value");
        headers.put("tenant", "acme");
        headers.put("note", "grüße, 東京 🚀");
        Envelope keyed = new Envelope(
                nextId(),
                "contract-source",
                t,
                "order-17",
                "OrderPlaced",
                "application/json",
                Instant.parse("2024-05-06T07:08:09.123456789Z"),
                headers);
        Envelope keyless = new Envelope(
                nextId(),
                "contract-source",
                t,
                null,
                "Heartbeat",
                "text/plain; charset=utf-8",
                Instant.parse("2024-05-06T07:08:10Z"),
                Map.of());
        OutgoingMessage first = new OutgoingMessage(keyed, "{\"order\":17}".getBytes(StandardCharsets.UTF_8), 3);
        OutgoingMessage second = new OutgoingMessage(keyless, new byte[0], 0);

        for (CompletableFuture<Void> f : broker().publish(List.of(first, second))) {
            f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        await().atMost(timeout())
                .untilAsserted(() -> assertThat(received.ids()).contains(keyed.messageId(), keyless.messageId()));
        IncomingMessage a = received.first(keyed.messageId());
        assertThat(a.envelope()).isEqualTo(keyed);
        assertThat(a.envelope().headers()).containsEntry("traceparent", TRACEPARENT);
        assertThat(a.payload()).isEqualTo(first.payload());
        assertThat(a.deliveryAttempt()).isEqualTo(1);
        IncomingMessage b = received.first(keyless.messageId());
        assertThat(b.envelope()).isEqualTo(keyless);
        assertThat(b.payload()).isEmpty();
    }

    /** A handler that keeps failing sees attempts 1 to {@code maxAttempts}; the message is dead-lettered with its headers and the next message of its key is handled. */
    @Test
    public final void deadLettersAfterMaxAttemptsWithoutHoldingBackTheRest() throws Exception {
        String t = topic("retries");
        SubscriptionSpec spec = spec("retries")
                .patterns(t)
                .maxAttempts(3)
                .backoff(Backoff.fixed(Duration.ofMillis(50)))
                .build();
        OutgoingMessage poison = message(t, "same-key", "poison", Map.of("traceparent", TRACEPARENT));
        OutgoingMessage next = message(t, "same-key", "next", Map.of());
        Map<MessageId, List<Integer>> attempts = new ConcurrentHashMap<>();
        subscribe(spec, m -> {
            attempts.computeIfAbsent(m.messageId(), k -> new CopyOnWriteArrayList<>())
                    .add(m.deliveryAttempt());
            if (m.messageId().equals(poison.envelope().messageId())) {
                throw new IllegalStateException("the handler fails on purpose");
            }
        });

        for (CompletableFuture<Void> f : broker().publish(List.of(poison, next))) {
            f.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        await().atMost(timeout())
                .untilAsserted(() ->
                        assertThat(attempts.get(next.envelope().messageId())).containsExactly(1));
        List<DeadLetter> letters = deadLetters(spec, 1, timeout());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).headers())
                .containsEntry(
                        Envelope.MESSAGE_ID, poison.envelope().messageId().toString())
                .containsEntry("traceparent", TRACEPARENT)
                .containsEntry(DeadLetterHeaders.ERROR, "the handler fails on purpose")
                .containsEntry(DeadLetterHeaders.ERROR_CLASS, IllegalStateException.class.getName())
                .containsEntry(DeadLetterHeaders.ATTEMPTS, "3")
                .containsEntry(DeadLetterHeaders.SUBSCRIPTION, spec.name())
                .containsEntry(DeadLetterHeaders.TOPIC, t)
                .containsKey(DeadLetterHeaders.FAILED_AT);
        assertThat(java.time.Instant.parse(letters.get(0).headers().get(DeadLetterHeaders.FAILED_AT)))
                .isBeforeOrEqualTo(java.time.Instant.now());
        assertThat(letters.get(0).text()).isEqualTo("poison");
        assertThat(attempts.get(poison.envelope().messageId())).containsExactly(1, 2, 3);
    }

    /** A {@link FatalException} from the handler dead-letters the message without further attempts. */
    @Test
    public final void deadLettersAtOnceWhenTheHandlerFailsFatally() throws Exception {
        String t = topic("handler-fatal");
        SubscriptionSpec spec = spec("handler-fatal")
                .patterns(t)
                .maxAttempts(5)
                .backoff(Backoff.fixed(Duration.ofMillis(50)))
                .build();
        OutgoingMessage m = message(t, "k", "cannot be processed", Map.of());
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        subscribe(spec, in -> {
            attempts.add(in.deliveryAttempt());
            throw new FatalException("this message can never be processed");
        });

        broker().publish(List.of(m)).get(0).get(timeout().toMillis(), TimeUnit.MILLISECONDS);

        List<DeadLetter> letters = deadLetters(spec, 1, timeout());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).headers())
                .containsEntry(Envelope.MESSAGE_ID, m.envelope().messageId().toString())
                .containsEntry(DeadLetterHeaders.ERROR_CLASS, FatalException.class.getName())
                .containsEntry(DeadLetterHeaders.ATTEMPTS, "1");
        assertThat(attempts).containsExactly(1);
    }

    /** A message without an envelope never reaches the handler: it is dead-lettered at once, and the messages after it flow. */
    @Test
    public final void deadLettersAMessageWithoutEnvelopeAtOnce() throws Exception {
        String t = topic("no-envelope");
        SubscriptionSpec spec = spec("no-envelope").patterns(t).build();
        Received received = new Received();
        subscribe(spec, received);
        byte[] raw = "not a message from an outbox".getBytes(StandardCharsets.UTF_8);

        publishWithoutEnvelope(t, raw);
        OutgoingMessage valid = message(t, null, "valid", Map.of());
        broker().publish(List.of(valid)).get(0).get(timeout().toMillis(), TimeUnit.MILLISECONDS);

        List<DeadLetter> letters = deadLetters(spec, 1, timeout());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).payload()).isEqualTo(raw);
        assertThat(letters.get(0).headers())
                .doesNotContainKey(Envelope.MESSAGE_ID)
                .containsEntry(DeadLetterHeaders.ATTEMPTS, "0")
                .containsKey(DeadLetterHeaders.ERROR);
        await().atMost(timeout()).untilAsserted(() -> assertThat(received.ids())
                .contains(valid.envelope().messageId()));
        assertThat(received.all()).allSatisfy(m -> assertThat(m.payload()).isNotEqualTo(raw));
    }

    /** Closing a subscription returns within the timeout and may be repeated. */
    @Test
    public final void closingASubscriptionIsBoundedAndIdempotent() {
        String t = topic("close");
        Subscription s = subscribe(spec("close").patterns(t).build(), new Received());
        long began = System.nanoTime();

        s.close();
        s.close();

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(timeout());
        assertThat(s.spec().patterns()).containsExactly(t);
    }

    // --- helpers for subclasses
    // ---------------------------------------------------------------------------------------

    /** A topic name unique to this run, remembered for {@link #cleanUp}. */
    protected final String topic(String name) {
        String t = "contract." + RUN + "." + name + "." + NAMES.incrementAndGet();
        topics.add(t);
        return t;
    }

    /** A subscription builder with a name unique to this run, short backoff; remembered for {@link #cleanUp}. */
    protected final SubscriptionSpec.Builder spec(String name) {
        return SubscriptionSpec.builder("contract-" + RUN + "-" + name + "-" + NAMES.incrementAndGet())
                .backoff(Backoff.fixed(Duration.ofMillis(50)));
    }

    /** Subscribes through {@link #broker()}; the subscription is closed after the test. */
    protected final Subscription subscribe(SubscriptionSpec spec, MessageHandler handler) {
        specs.add(spec);
        Subscription s = broker().subscribe(spec, handler);
        subscriptions.add(s);
        return s;
    }

    /** A message with a fresh id, source {@code contract-source}, type {@code ContractEvent}, text payload. */
    protected static OutgoingMessage message(String topic, String key, String text, Map<String, String> headers) {
        Envelope e = new Envelope(
                nextId(), "contract-source", topic, key, "ContractEvent", "text/plain", Instant.now(), headers);
        return new OutgoingMessage(e, text.getBytes(StandardCharsets.UTF_8), 0);
    }

    /** A message id not used before in this JVM. */
    protected static MessageId nextId() {
        return new MessageId(IDS.incrementAndGet());
    }

    @AfterEach
    final void closeSubscriptionsAndCleanUp() {
        for (Subscription s : subscriptions) {
            s.close();
        }
        subscriptions.clear();
        cleanUp(List.copyOf(topics), List.copyOf(specs));
        topics.clear();
        specs.clear();
    }

    private static Set<MessageId> ids(List<OutgoingMessage> messages) {
        Set<MessageId> ids = new LinkedHashSet<>();
        messages.forEach(m -> ids.add(m.envelope().messageId()));
        return ids;
    }

    /** A handler that keeps what it receives. */
    private static final class Received implements MessageHandler {
        private final ConcurrentLinkedQueue<IncomingMessage> messages = new ConcurrentLinkedQueue<>();

        @Override
        public void handle(IncomingMessage message) {
            messages.add(message);
        }

        List<IncomingMessage> all() {
            return List.copyOf(messages);
        }

        Set<MessageId> ids() {
            Set<MessageId> ids = new LinkedHashSet<>();
            messages.forEach(m -> ids.add(m.messageId()));
            return ids;
        }

        /** Each message once, in the order of its first delivery (a redelivery after a crash repeats an earlier one). */
        List<IncomingMessage> firstDeliveries() {
            Set<MessageId> seen = new LinkedHashSet<>();
            List<IncomingMessage> first = new ArrayList<>();
            for (IncomingMessage m : messages) {
                if (seen.add(m.messageId())) {
                    first.add(m);
                }
            }
            return first;
        }

        IncomingMessage first(MessageId id) {
            return messages.stream()
                    .filter(m -> m.messageId().equals(id))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("message " + id + " was not received"));
        }

        @Override
        public String toString() {
            return "Received" + Arrays.toString(ids().toArray());
        }
    }
}
