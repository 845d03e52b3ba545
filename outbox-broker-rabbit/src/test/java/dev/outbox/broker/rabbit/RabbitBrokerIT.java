package dev.outbox.broker.rabbit;

import static dev.outbox.broker.rabbit.TestMessages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.outbox.Envelope;
import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.OutgoingMessage;
import dev.outbox.RetriableException;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Publishing and subscribing against the real local RabbitMQ, in a virtual host of its own. */
class RabbitBrokerIT {
    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void publishesWithConfirmsAndTheEnvelopeSurvivesTheRoundTrip() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        List<IncomingMessage> received = new CopyOnWriteArrayList<>();
        try (RabbitBroker broker = RabbitBroker.create(settings);
                Connection admin = rabbit.adminConnection();
                Channel raw = admin.createChannel()) {
            Subscription sub = broker.subscribe(
                    SubscriptionSpec.builder(rabbit.unique("roundtrip"))
                            .patterns("Warehouse.Events.#")
                            .build(),
                    received::add);
            assertThat(sub.spec().patterns()).containsExactly("Warehouse.Events.#");
            // A second, plain queue to look at the AMQP properties as any RabbitMQ tool would.
            String rawQueue = raw.queueDeclare().getQueue();
            raw.queueBind(rawQueue, settings.exchange(), "#");

            List<OutgoingMessage> sent = List.of(
                    message(1, "Warehouse.Events.ProductAdded", "sku-1"),
                    message(2, "Warehouse.Events.ProductQuantityIncreased", "sku-1"),
                    message(3, "Warehouse.Events.ProductQuantityIncreased", null));
            List<CompletableFuture<Void>> futures = broker.publish(sent);

            assertThat(futures).hasSize(3);
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> received.size() == 3);
            assertThat(received)
                    .extracting(IncomingMessage::envelope)
                    .containsExactlyInAnyOrderElementsOf(
                            sent.stream().map(OutgoingMessage::envelope).toList());
            for (IncomingMessage m : received) {
                assertThat(m.payload())
                        .isEqualTo(TestMessages.payload(m.messageId().value()));
                assertThat(m.deliveryAttempt()).isEqualTo(1);
                assertThat(m.envelope().headers()).containsEntry("traceparent", TestMessages.TRACEPARENT);
            }

            GetResponse got = raw.basicGet(rawQueue, true);
            assertThat(got).isNotNull();
            AMQP.BasicProperties p = got.getProps();
            Envelope first = sent.get(0).envelope();
            assertThat(got.getEnvelope().getRoutingKey()).isEqualTo("Warehouse.Events.ProductAdded");
            assertThat(p.getMessageId()).isEqualTo("1");
            assertThat(p.getType()).isEqualTo("ProductAdded");
            assertThat(p.getContentType()).isEqualTo("application/json");
            assertThat(p.getAppId()).isEqualTo(TestMessages.SOURCE);
            assertThat(p.getDeliveryMode()).isEqualTo(2);
            assertThat(p.getTimestamp().toInstant().getEpochSecond())
                    .isEqualTo(first.createdAt().getEpochSecond());
            assertThat(p.getHeaders().get(Envelope.PARTITION_KEY)).hasToString("sku-1");
            assertThat(p.getHeaders().get(Envelope.CREATED_AT))
                    .hasToString(first.createdAt().toString());
        }
    }

    @Test
    void twoSubscribersEachGetExactlyWhatTheirPatternsSelectInKeyOrder() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        Map<String, List<IncomingMessage>> got = new ConcurrentHashMap<>();
        String events = rabbit.unique("events");
        String billing = rabbit.unique("billing");
        List<String> topics = List.of(
                "Warehouse.Events.ProductAdded",
                "Warehouse.Events.ProductQuantityIncreased",
                "Billing.Events.InvoiceIssued",
                "Billing.Commands.Refund");
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(events)
                            .patterns("Warehouse.Events.#")
                            .concurrency(4)
                            .build(),
                    m -> got.computeIfAbsent(events, k -> new CopyOnWriteArrayList<>())
                            .add(m));
            broker.subscribe(
                    SubscriptionSpec.builder(billing)
                            .patterns("Billing.*.InvoiceIssued", "Billing.Commands.#")
                            .concurrency(3)
                            .build(),
                    m -> got.computeIfAbsent(billing, k -> new CopyOnWriteArrayList<>())
                            .add(m));
            List<OutgoingMessage> sent = new ArrayList<>();
            for (int i = 1; i <= 400; i++) {
                sent.add(message(i, topics.get(i % topics.size()), "key-" + (i % 7)));
            }
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int from = 0; from < sent.size(); from += 100) {
                futures.addAll(broker.publish(sent.subList(from, from + 100)));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

            Set<Long> warehouse = ids(sent, t -> t.startsWith("Warehouse.Events."));
            Set<Long> billed = ids(sent, t -> t.startsWith("Billing."));
            await().atMost(WAIT)
                    .until(() -> size(got, events) >= warehouse.size() && size(got, billing) >= billed.size());

            assertThat(got.get(events))
                    .extracting(m -> m.messageId().value())
                    .containsExactlyInAnyOrderElementsOf(warehouse);
            assertThat(got.get(billing))
                    .extracting(m -> m.messageId().value())
                    .containsExactlyInAnyOrderElementsOf(billed);
            assertKeyOrder(got.get(events));
            assertKeyOrder(got.get(billing));
        }
    }

    private static Set<Long> ids(List<OutgoingMessage> sent, java.util.function.Predicate<String> topic) {
        return sent.stream()
                .filter(m -> topic.test(m.envelope().topic()))
                .map(m -> m.envelope().messageId().value())
                .collect(Collectors.toSet());
    }

    private static int size(Map<String, List<IncomingMessage>> got, String name) {
        return got.getOrDefault(name, List.of()).size();
    }

    /** Within each topic and key, ids arrive in the order they were published (increasing). */
    static void assertKeyOrder(List<IncomingMessage> messages) {
        Map<String, List<Long>> byKey = new LinkedHashMap<>();
        for (IncomingMessage m : messages) {
            byKey.computeIfAbsent(m.envelope().topic() + "/" + m.envelope().key(), k -> new ArrayList<>())
                    .add(m.messageId().value());
        }
        byKey.forEach((key, ids) -> assertThat(ids).as("order of " + key).isSorted());
    }

    @Test
    void anUnroutableMessageFailsFatallyWhileTheOthersAreConfirmed() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(rabbit.unique("routable"))
                            .patterns("Warehouse.#")
                            .build(),
                    m -> {});
            List<CompletableFuture<Void>> futures = broker.publish(List.of(
                    message(10, "Warehouse.Events.ProductAdded", "a"),
                    message(11, "Nowhere.Events.Lost", "a"),
                    message(12, "Warehouse.Events.ProductAdded", "b"),
                    message(13, "Warehouse.Events.ProductRemoved", "a")));

            futures.get(0).get(30, TimeUnit.SECONDS);
            futures.get(2).get(30, TimeUnit.SECONDS);
            futures.get(3).get(30, TimeUnit.SECONDS);
            assertThat(failure(futures.get(1)))
                    .isInstanceOf(FatalException.class)
                    .hasMessageContaining("unroutable")
                    .hasMessageContaining("Nowhere.Events.Lost")
                    .hasMessageContaining("11");
        }
    }

    @Test
    void anOversizedMessageFailsFatallyWithoutBeingSentAndHoldsBackItsKey() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().maxMessageBytes(64).build();
        List<IncomingMessage> received = new CopyOnWriteArrayList<>();
        OutgoingMessage small = message(20, "Warehouse.Events.ProductAdded", "a");
        OutgoingMessage big = new OutgoingMessage(
                message(21, "Warehouse.Events.ProductAdded", "a").envelope(), new byte[65], 0);
        OutgoingMessage sameKeyAfter = message(22, "Warehouse.Events.ProductAdded", "a");
        OutgoingMessage otherKey = message(23, "Warehouse.Events.ProductAdded", "b");
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(rabbit.unique("sizes"))
                            .patterns("#")
                            .build(),
                    received::add);
            List<CompletableFuture<Void>> futures = broker.publish(List.of(small, big, sameKeyAfter, otherKey));

            futures.get(0).get(30, TimeUnit.SECONDS);
            futures.get(3).get(30, TimeUnit.SECONDS);
            assertThat(failure(futures.get(1)))
                    .isInstanceOf(FatalException.class)
                    .hasMessageContaining("maxMessageBytes");
            assertThat(failure(futures.get(2)))
                    .isInstanceOf(RetriableException.class)
                    .hasMessageContaining("same topic and key");
            await().atMost(WAIT).until(() -> received.size() == 2);
            assertThat(received).extracting(m -> m.messageId().value()).containsExactlyInAnyOrder(20L, 23L);
        }
    }

    @Test
    void checkingAMissingExchangeFailsFatally() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings()
                .exchangeDeclaration(RabbitBrokerSettings.ExchangeDeclaration.CHECK)
                .build();
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            List<CompletableFuture<Void>> futures = broker.publish(List.of(
                    message(30, "Warehouse.Events.ProductAdded", "a"),
                    message(31, "Warehouse.Events.ProductAdded", "b")));

            assertThat(failure(futures.get(0)))
                    .isInstanceOf(FatalException.class)
                    .hasMessageContaining("404");
            assertThat(failure(futures.get(1)))
                    .isInstanceOf(RetriableException.class)
                    .hasMessageContaining("not sent");
            assertThatThrownBy(() -> broker.subscribe(
                            SubscriptionSpec.builder(rabbit.unique("checked"))
                                    .patterns("#")
                                    .build(),
                            m -> {}))
                    .isInstanceOf(FatalException.class)
                    .hasMessageContaining(settings.exchange());
        }
    }

    @Test
    void anUnreachableBrokerFailsPublishesRetriably() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().port(1).build();
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            List<CompletableFuture<Void>> futures =
                    broker.publish(List.of(message(40, "Warehouse.Events.ProductAdded", "a")));

            assertThat(failure(futures.get(0)))
                    .isInstanceOf(RetriableException.class)
                    .hasMessageContaining("cannot connect")
                    .hasMessageNotContaining("guest:guest");
            assertThatThrownBy(broker::connect).isInstanceOf(RetriableException.class);
        }
    }

    @Test
    void aBlockedConnectionFailsPublishesRetriablyUntilTheAlarmClears() throws Exception {
        RabbitBrokerSettings settings =
                rabbit.settings().publishTimeout(Duration.ofSeconds(3)).build();
        AtomicLong ids = new AtomicLong(100);
        try (RabbitBroker broker = RabbitBroker.create(settings)) {
            broker.subscribe(
                    SubscriptionSpec.builder(rabbit.unique("alarm"))
                            .patterns("#")
                            .build(),
                    m -> {});
            broker.publish(List.of(message(ids.incrementAndGet(), "Warehouse.Events.ProductAdded", "a")))
                    .get(0)
                    .get(30, TimeUnit.SECONDS);
            String watermark = Rabbitmqctl.run("eval", "vm_memory_monitor:get_vm_memory_high_watermark().")
                    .trim();
            try {
                // A memory alarm: RabbitMQ blocks every connection that publishes.
                Rabbitmqctl.run("set_vm_memory_high_watermark", "0.0001");
                await().atMost(WAIT).until(() -> {
                    Throwable t = outcome(broker.publish(
                                    List.of(message(ids.incrementAndGet(), "Warehouse.Events.ProductAdded", "a")))
                            .get(0));
                    return t instanceof RetriableException && t.getMessage().contains("blocked");
                });
            } finally {
                restoreWatermark(watermark);
            }
            await().atMost(WAIT)
                    .until(() -> outcome(broker.publish(List.of(
                                            message(ids.incrementAndGet(), "Warehouse.Events.ProductAdded", "a")))
                                    .get(0))
                            == null);
        }
    }

    private static void restoreWatermark(String watermark) {
        java.util.regex.Matcher absolute =
                java.util.regex.Pattern.compile("\\{absolute,\\s*(\\d+)}").matcher(watermark);
        if (absolute.matches()) {
            Rabbitmqctl.run("set_vm_memory_high_watermark", "absolute", absolute.group(1));
        } else {
            Rabbitmqctl.run("set_vm_memory_high_watermark", watermark);
        }
    }

    /** Null when the future completes normally, else its failure; waits at most 30 s. */
    private static Throwable outcome(CompletableFuture<Void> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void itsThreadsAreNamedAndCloseStopsThemAll() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings().build();
        RabbitBroker broker = RabbitBroker.create(settings);
        try {
            broker.subscribe(
                    SubscriptionSpec.builder(rabbit.unique("threads"))
                            .patterns("#")
                            .concurrency(3)
                            .build(),
                    m -> {});
            broker.publish(List.of(message(1, "Warehouse.Events.ProductAdded", "a")))
                    .get(0)
                    .get(30, TimeUnit.SECONDS);
            assertThat(threadNames())
                    .filteredOn(n -> n.startsWith("outbox-rabbit-"))
                    .isNotEmpty();
            assertThat(threadNames())
                    .noneMatch(n -> n.startsWith("AMQP Connection"))
                    .noneMatch(n -> n.startsWith("pool-"));
        } finally {
            broker.close();
        }
        broker.close();
        await().atMost(WAIT).until(() -> threadNames().stream().noneMatch(n -> n.startsWith("outbox-rabbit-")));
        assertThatThrownBy(() -> broker.publish(List.of(message(2, "Warehouse.Events.ProductAdded", "a"))))
                .isInstanceOf(IllegalStateException.class);
    }

    private static List<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .toList();
    }

    static Throwable failure(CompletableFuture<Void> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected the future to fail, but it completed normally");
    }
}
