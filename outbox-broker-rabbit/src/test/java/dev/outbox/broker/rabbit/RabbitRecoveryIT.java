package dev.outbox.broker.rabbit;

import static dev.outbox.broker.rabbit.TestMessages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outbox.IncomingMessage;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.SubscriptionSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connections dropped and the broker restarted while messages stream: every future completes, nothing confirmed is
 * lost, what was not confirmed fails retriably and goes through when sent again with its original message id.
 */
class RabbitRecoveryIT {
    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private static final Duration STREAM_LIMIT = Duration.ofSeconds(90);
    private static final int BATCH = 50;
    private static final int IN_FLIGHT = 400;
    /** Only a safety net: the stream keeps the window full until the disruption is over, however long it takes. */
    private static final int MAX_MESSAGES = 300_000;

    @Test
    void droppedConnectionsMidStreamLoseNothing() throws Exception {
        stream(firstFailure -> {
            // Dropped while nothing happens to be in flight, a connection just reopens: drop it again.
            for (int i = 0; i < 5; i++) {
                Rabbitmqctl.closeAllConnections(rabbit.name());
                try {
                    if (firstFailure.await(3, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        });
    }

    @Test
    void aBrokerRestartMidStreamLosesNothing() throws Exception {
        stream(firstFailure -> {
            try {
                Rabbitmqctl.stopApp();
            } finally {
                Rabbitmqctl.startApp();
            }
        });
    }

    /**
     * Publishes a stream of messages, as a relay would: many in flight, failed ones sent again (same id). Once 500 are
     * confirmed, {@code disruption} runs (given a latch that opens at the first failed message); the stream goes on
     * until 500 more are confirmed after it, then drains.
     */
    private void stream(Consumer<CountDownLatch> disruption) throws Exception {
        RabbitBrokerSettings settings =
                rabbit.settings().confirmWindow(IN_FLIGHT).build();
        Map<Long, Integer> received = new ConcurrentHashMap<>();
        List<String> corrupt = new CopyOnWriteArrayList<>();
        Set<Long> confirmed = ConcurrentHashMap.newKeySet();
        Set<Long> failedOnce = ConcurrentHashMap.newKeySet();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        ConcurrentLinkedQueue<OutgoingMessage> retry = new ConcurrentLinkedQueue<>();
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        AtomicInteger failures = new AtomicInteger();
        CountDownLatch pacing = new CountDownLatch(1);
        CountDownLatch firstFailure = new CountDownLatch(1);

        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(rabbit.unique("stream"))
                            .patterns("Stream.#")
                            .concurrency(2)
                            .build(),
                    (IncomingMessage m) -> {
                        if (!java.util.Arrays.equals(
                                m.payload(), TestMessages.payload(m.messageId().value()))) {
                            corrupt.add(m.toString());
                        }
                        received.merge(m.messageId().value(), 1, Integer::sum);
                    });

            CompletableFuture<Integer> disrupted = null;
            long nextId = 1;
            int failuresSeen = 0;
            long deadline = System.nanoTime() + STREAM_LIMIT.toNanos();
            while (true) {
                assertThat(System.nanoTime() - deadline)
                        .as("stream finished in time")
                        .isNegative();
                if (disrupted == null && confirmed.size() >= 500) {
                    disrupted = CompletableFuture.supplyAsync(() -> {
                        disruption.accept(firstFailure);
                        return confirmed.size();
                    });
                }
                boolean generating = nextId <= MAX_MESSAGES
                        && (disrupted == null || !disrupted.isDone() || confirmed.size() < disrupted.join() + 500);
                List<OutgoingMessage> batch = new ArrayList<>(BATCH);
                while (batch.size() < BATCH && !retry.isEmpty()) {
                    batch.add(retry.poll());
                }
                while (generating && batch.size() < BATCH) {
                    batch.add(message(nextId, "Stream.Events.Tick", "key-" + (nextId % 16)));
                    nextId++;
                }
                if (batch.isEmpty()) {
                    if (inFlight.availablePermits() == IN_FLIGHT && retry.isEmpty()) {
                        break;
                    }
                    pacing.await(10, TimeUnit.MILLISECONDS);
                    continue;
                }
                assertThat(inFlight.tryAcquire(batch.size(), 60, TimeUnit.SECONDS))
                        .as("futures complete")
                        .isTrue();
                List<CompletableFuture<Void>> futures = broker.publish(batch);
                for (int i = 0; i < batch.size(); i++) {
                    OutgoingMessage m = batch.get(i);
                    long id = m.envelope().messageId().value();
                    futures.get(i).whenComplete((ok, error) -> {
                        if (error == null) {
                            confirmed.add(id);
                        } else {
                            if (!(error instanceof RetriableException)) {
                                unexpected.add(error);
                            }
                            failures.incrementAndGet();
                            firstFailure.countDown();
                            failedOnce.add(id);
                            retry.add(m);
                        }
                        inFlight.release();
                    });
                }
                if (failures.get() > failuresSeen) {
                    // The broker is away: do not spin, as a relay backs off.
                    failuresSeen = failures.get();
                    pacing.await(20, TimeUnit.MILLISECONDS);
                }
            }
            long published = nextId - 1;

            assertThat(unexpected).isEmpty();
            assertThat(disrupted).isNotNull();
            assertThat(failures.get())
                    .as("messages in flight failed when the connection went")
                    .isPositive();
            assertThat(confirmed).hasSize((int) published);
            await().atMost(Duration.ofSeconds(60)).until(() -> received.keySet().containsAll(confirmed));
            assertThat(received.keySet()).allMatch(id -> id >= 1 && id <= published);
            assertThat(corrupt).isEmpty();
            long duplicates = received.values().stream().filter(n -> n > 1).count();
            System.out.printf(
                    "stream: %d messages, %d failed retriably at least once (%d failures), %d received twice or more%n",
                    published, failedOnce.size(), failures.get(), duplicates);
        }
    }
}
