package dev.outbox.broker.kafka;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Envelope;
import dev.outbox.MessageId;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.spi.ForwardingBroker;
import dev.outbox.spi.LaneClaim;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.TestRelays;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.jdbi.v3.core.Jdbi;

/**
 * The entry point of a relay run in a child JVM by {@link ChildRelay}: a {@link JdbiMessageStore} on the test's schema
 * and a {@link KafkaBroker} on the test's Kafka, relayed by a quick test relay, until the parent kills it.
 *
 * <p>It reads its settings from the properties file named by its one argument, and speaks to the parent by lines: it
 * writes {@value #MARK} lines to its standard output (ready, held, each publish's outcome), and reads its standard
 * input, where {@code release} lets a held publish go on and {@code stop} closes the relay. End of input means the
 * parent is gone: the child halts, so no relay outlives its test.
 *
 * <p>A hold stops the relay at a chosen point of its publish path and keeps it there until the parent kills, pauses or
 * releases it: {@link ChildRelay.Window#BEFORE_COMMIT} blocks the producer's network thread once enough records of the
 * test's topic were acknowledged (they are in Kafka's log, in a transaction that cannot commit while that thread is
 * blocked); {@link ChildRelay.Window#AFTER_COMMIT} keeps from the relay the outcome of a publish that fully succeeded,
 * so the relay never deletes what Kafka holds.
 */
final class ChildRelayMain {
    static final String MARK = "@@child";
    /** The longest a child waits for its parent, held or running: no test lasts that long. */
    private static final Duration LONGEST_WAIT = Duration.ofMinutes(10);

    private static final CountDownLatch release = new CountDownLatch(1);
    private static final CountDownLatch stop = new CountDownLatch(1);
    private static final AtomicBoolean held = new AtomicBoolean();
    /** What the interceptor, which Kafka creates, needs to know; set before the broker starts. */
    private static volatile String heldTopic;

    private static volatile int holdAfterRecords;
    /** The id of a message in the transaction held before its commit, once one is; 0 before. */
    private static volatile long heldId;

    private ChildRelayMain() {}

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Thread control = new Thread(ChildRelayMain::readParent, "outbox-child-relay-control");
        control.setDaemon(true);
        control.start();

        ChildRelay.Window window = ChildRelay.Window.valueOf(p.getProperty("hold.window"));
        int holdAt = Integer.parseInt(p.getProperty("hold.at"));
        heldTopic = p.getProperty("topic");
        holdAfterRecords = holdAt;

        HikariConfig db = new HikariConfig();
        db.setJdbcUrl(p.getProperty("jdbc.url"));
        db.setUsername(p.getProperty("jdbc.user"));
        db.setMaximumPoolSize(8);
        db.setMinimumIdle(0);
        db.setPoolName("outbox-child-" + p.getProperty("relay.id"));
        db.addDataSourceProperty("currentSchema", p.getProperty("jdbc.schema"));
        db.addDataSourceProperty("ApplicationName", p.getProperty("jdbc.applicationName"));
        HikariDataSource pool = new HikariDataSource(db);
        JdbiMessageStore store = JdbiMessageStore.create(
                Jdbi.create(pool),
                JdbiStoreConfig.builder()
                        .tablePrefix(p.getProperty("store.tablePrefix"))
                        .lanes(Integer.parseInt(p.getProperty("store.lanes")))
                        .build());

        KafkaBrokerSettings.Builder settings = KafkaBrokerSettings.builder(p.getProperty("kafka.bootstrapServers"))
                .clientId(p.getProperty("kafka.clientId"))
                .topicPolicy(TopicPolicy.createMissing(Integer.parseInt(p.getProperty("kafka.partitions")), (short) 1))
                .closeTimeout(Duration.ofSeconds(5));
        if (window == ChildRelay.Window.BEFORE_COMMIT) {
            settings.producerProperty("interceptor.classes", HoldBeforeCommit.class.getName());
        }
        if (Boolean.parseBoolean(p.getProperty("exactlyOnce"))) {
            // One positions topic for every relay of the test's table: named after the client id the test gives them
            // all.
            settings.exactlyOnce().positionsTopic(p.getProperty("kafka.clientId") + "-positions");
        }
        KafkaBroker kafka = KafkaBroker.create(settings.build());
        Reporting broker = new Reporting(kafka, window == ChildRelay.Window.AFTER_COMMIT ? holdAt : 0);

        Relay relay = TestRelays.quick(store, broker, p.getProperty("relay.source"))
                .id(p.getProperty("relay.id"))
                .lease(Duration.parse(p.getProperty("relay.lease")))
                .heartbeat(Duration.parse(p.getProperty("relay.heartbeat")))
                .concurrency(Integer.parseInt(p.getProperty("relay.concurrency")))
                .batchSize(Integer.parseInt(p.getProperty("relay.batchSize")))
                // Longer than any hold lasts before the parent acts: a held publish is never retried by the relay.
                .publishTimeout(Duration.ofMinutes(1))
                .build();
        relay.start();
        mark("ready");
        if (!stop.await(LONGEST_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            mark("never stopped: halting");
            Runtime.getRuntime().halt(4);
        }
        relay.close();
        broker.close();
        pool.close();
        mark("stopped");
        System.exit(0);
    }

    /** A line for the parent, which watches for them. */
    static synchronized void mark(String what) {
        System.out.println(MARK + " " + what);
        System.out.flush();
    }

    private static void readParent() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                switch (line.trim()) {
                    case "release" -> release.countDown();
                    case "stop" -> {
                        release.countDown();
                        stop.countDown();
                    }
                    default -> mark("unknown command " + line);
                }
            }
        } catch (IOException e) {
            // A broken pipe means the same as end of input: the parent is gone.
        }
        Runtime.getRuntime().halt(3);
    }

    /** Keeps the calling thread until the parent releases it (or kills the child); bounded. */
    private static void awaitRelease() {
        try {
            if (!release.await(LONGEST_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                mark("never released: halting");
                Runtime.getRuntime().halt(4);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        mark("released");
    }

    /**
     * Reports every publish's outcome to the parent, and holds the outcome of the first publish, from the {@code
     * holdAt}-th on, that fully succeeded: the relay then never learns of it and never deletes it.
     */
    static final class Reporting extends ForwardingBroker {
        private final AtomicInteger publishes = new AtomicInteger();
        private final int holdAt;
        private final Executor holder = r -> {
            Thread t = new Thread(r, "outbox-child-relay-hold");
            t.setDaemon(true);
            t.start();
        };

        Reporting(KafkaBroker delegate, int holdAt) {
            super(delegate);
            this.holdAt = holdAt;
        }

        @Override
        public List<CompletableFuture<Void>> publish(List<OutgoingMessage> messages) {
            int n = publishes.incrementAndGet();
            List<CompletableFuture<Void>> out = super.publish(messages);
            String ids = messages.stream()
                    .map(m -> Long.toString(m.envelope().messageId().value()))
                    .collect(Collectors.joining(","));
            CompletableFuture<Void> all = CompletableFuture.allOf(out.toArray(new CompletableFuture<?>[0]));
            CompletableFuture<Void> gate = all.handleAsync(
                    (ok, error) -> {
                        int failed = 0;
                        String first = "";
                        for (CompletableFuture<Void> f : out) {
                            if (f.isCompletedExceptionally()) {
                                if (failed++ == 0) {
                                    first = describe(f);
                                }
                            }
                        }
                        boolean heldBatch = messages.stream()
                                .anyMatch(m -> m.envelope().messageId().value() == heldId);
                        mark("outcome publish=" + n + " messages=" + out.size() + " failed=" + failed
                                + (heldBatch ? " held-batch" : "") + (failed > 0 ? " error=" + first : ""));
                        if (failed == 0 && holdAt > 0 && n >= holdAt && held.compareAndSet(false, true)) {
                            mark("held after-commit publish=" + n + " ids=" + ids);
                            awaitRelease();
                        }
                        return null;
                    },
                    holder);
            List<CompletableFuture<Void>> gated = new ArrayList<>(out.size());
            for (CompletableFuture<Void> f : out) {
                gated.add(gate.thenCompose(x -> f));
            }
            return gated;
        }

        @Override
        public Map<Integer, Set<MessageId>> takeOver(Collection<LaneClaim> lanes) {
            mark("takeover lanes=" + lanes.size());
            Map<Integer, Set<MessageId>> published = super.takeOver(lanes);
            mark("taken over lanes=" + lanes.size() + " published="
                    + published.values().stream().mapToInt(Set::size).sum());
            return published;
        }

        private static String describe(CompletableFuture<Void> f) {
            try {
                f.get();
                return "";
            } catch (ExecutionException e) {
                StringBuilder s = new StringBuilder();
                for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                    s.append(s.length() == 0 ? "" : " <- ")
                            .append(t.getClass().getSimpleName())
                            .append(": ")
                            .append(String.valueOf(t.getMessage()).replace('\n', ' '));
                }
                return s.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }

    /**
     * Blocks the producer's network thread once {@code holdAt} records of the test's topic were acknowledged: they are
     * in Kafka's log, and their transaction cannot commit while that thread waits. Kafka creates it by name.
     */
    public static final class HoldBeforeCommit implements ProducerInterceptor<byte[], byte[]> {
        private static final AtomicInteger acknowledged = new AtomicInteger();

        /**
         * The id of the last record of the test's topic this producer sent: at the hold, it belongs to the held
         * transaction, because a producer begins no transaction before its last one committed.
         */
        private volatile long lastSent;

        /** Kafka's constructor. */
        public HoldBeforeCommit() {}

        @Override
        public ProducerRecord<byte[], byte[]> onSend(ProducerRecord<byte[], byte[]> record) {
            if (record.topic().equals(heldTopic)) {
                Header id = record.headers().lastHeader(Envelope.MESSAGE_ID);
                if (id != null) {
                    lastSent = Long.parseLong(new String(id.value(), StandardCharsets.UTF_8));
                }
            }
            return record;
        }

        @Override
        public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
            if (exception != null || metadata == null || !metadata.topic().equals(heldTopic)) {
                return;
            }
            if (acknowledged.incrementAndGet() >= holdAfterRecords && held.compareAndSet(false, true)) {
                heldId = lastSent;
                mark("held before-commit records=" + acknowledged.get() + " id=" + heldId);
                awaitRelease();
            }
        }

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }
}
