package dev.outbox.examples.demo;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.IncomingMessage;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.Relay;
import dev.outbox.RelayListener;
import dev.outbox.StoppedLane;
import dev.outbox.Subscription;
import dev.outbox.SubscriptionSpec;
import dev.outbox.broker.kafka.KafkaBrokerSettings;
import dev.outbox.broker.kafka.TopicPolicy;
import dev.outbox.broker.kafka.guice.KafkaBrokerModule;
import dev.outbox.broker.rabbit.RabbitBrokerSettings;
import dev.outbox.broker.rabbit.guice.RabbitBrokerModule;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.consumer.dedup.guice.DedupModule;
import dev.outbox.examples.warehouse.Catalog;
import dev.outbox.examples.warehouse.InsufficientQuantityOnHand;
import dev.outbox.examples.warehouse.LowQuantityNotifier;
import dev.outbox.examples.warehouse.NotifiedLowProductQuantity;
import dev.outbox.examples.warehouse.Product;
import dev.outbox.examples.warehouse.ProductQuantityIncreased;
import dev.outbox.examples.warehouse.ProductQuantityShipped;
import dev.outbox.examples.warehouse.ProductsView;
import dev.outbox.examples.warehouse.Warehouse;
import dev.outbox.examples.warehouse.WarehouseSchema;
import dev.outbox.guice.OutboxModule;
import dev.outbox.kafka.embedded.EmbeddedKafka;
import dev.outbox.serializer.avro.guice.AvroSerializerModule;
import dev.outbox.serializer.jackson.guice.JacksonSerializerModule;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageSerializer;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.store.jdbi.guice.JdbiStoreModule;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Recorder;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The warehouse, end to end: commands append events in their transactions, relays publish them, two deduplicating
 * consumers build their own state, and at the end the read side is checked against the command side.
 *
 * <p>Runs on an embedded PostgreSQL and an embedded Kafka unless told otherwise. Wiring is Guice modules only: the
 * broker is one module, chosen by {@code --broker}.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "The warehouse demo: commands -> outbox -> relay -> broker -> deduplicating consumers.")
public final class Demo implements Callable<Integer> {

    /** Which broker the demo publishes to. */
    enum BrokerKind {
        KAFKA,
        RABBIT
    }

    @Option(
            names = "--broker",
            defaultValue = "kafka",
            description = "kafka (embedded unless --bootstrap-servers) or"
                    + " rabbit (a RabbitMQ at --amqp-uri). Default: ${DEFAULT-VALUE}.")
    BrokerKind broker;

    @Option(
            names = "--jdbc-url",
            description = "An existing PostgreSQL (the demo works in a schema of its own and"
                    + " drops it). Default: an embedded PostgreSQL.")
    String jdbcUrl;

    @Option(names = "--db-user", defaultValue = "postgres", description = "Database user. Default: ${DEFAULT-VALUE}.")
    String dbUser;

    @Option(names = "--db-password", defaultValue = "", description = "Database password.")
    String dbPassword;

    @Option(names = "--bootstrap-servers", description = "An existing Kafka. Default: an embedded Kafka.")
    String bootstrapServers;

    @Option(
            names = "--amqp-uri",
            defaultValue = "amqp://guest:guest@127.0.0.1:5672",
            description = "The RabbitMQ for --broker rabbit. Default: the local one as guest.")
    String amqpUri;

    @Option(names = "--products", defaultValue = "20", description = "Products. Default: ${DEFAULT-VALUE}.")
    int products;

    @Option(names = "--commands", defaultValue = "5000", description = "Stock commands. Default: ${DEFAULT-VALUE}.")
    int commands;

    @Option(
            names = "--writers",
            defaultValue = "4",
            description = "Threads running commands. Default: ${DEFAULT-VALUE}.")
    int writers;

    /** Commands per second over all writers; 0: as fast as they can. Set through {@link #rate(double)}. */
    double rate;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--rate",
            paramLabel = "PER_SECOND",
            defaultValue = "150",
            description = "Commands per second over all writers, on a fixed schedule (open loop: the arrivals do not"
                    + " slow down when the writers fall behind); 0: as fast as the writers can (closed loop)."
                    + " Default: ${DEFAULT-VALUE}, measured to keep up on 2 cores running PostgreSQL, Kafka, two"
                    + " relays and the consumers (at 200/s and above they fell behind; at 0 the writers reach"
                    + " about 250/s).")
    void rate(double rate) {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--rate must be 0 (as fast as possible) or a positive number of commands per second, not " + rate);
        }
        this.rate = rate;
    }

    @Option(
            names = "--relays",
            defaultValue = "2",
            description = "Relay instances sharing the outbox." + " Default: ${DEFAULT-VALUE}.")
    int relays;

    @Option(names = "--avro", description = "Write events as Avro (schemas in the jar) instead of JSON.")
    boolean avro;

    @Option(
            names = "--timeout",
            defaultValue = "PT3M",
            description = "How long to wait for the consumers to catch" + " up. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    /** The demo's subscriptions. */
    private static final List<String> SUBSCRIPTIONS =
            List.of(ProductsView.NAME, LowQuantityNotifier.NAME, "session-feed", "catalog-feed");

    private final PrintStream out;

    Demo(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /**
     * Runs the demo with these arguments, printing everything, usage errors included, to {@code out}; returns the exit
     * code (0 when the read side matches the command side, 2 for a usage error).
     */
    public static int run(PrintStream out, String... args) {
        return run(out, out, args);
    }

    /** Runs the demo with these arguments, printing usage errors to {@code err}; returns the exit code. */
    static int run(PrintStream out, PrintStream err, String... args) {
        return new CommandLine(new Demo(out))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
                .execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (products < 1 || commands < 0 || writers < 1 || relays < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--products, --writers and --relays must be at least 1, --commands at least 0");
        }
        String run = UUID.randomUUID().toString().substring(0, 8);
        String schema = "warehouse_demo_" + run;
        String source = "warehouse-" + run;
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            String url = jdbcUrl;
            if (url == null) {
                out.println("starting an embedded PostgreSQL ...");
                EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
                resources.add(pg);
                url = pg.getJdbcUrl("postgres", "postgres");
                dbUser = "postgres";
            }
            createSchema(url, schema);
            HikariDataSource pool = pool(url, schema);
            resources.add(pool);
            resources.add(() -> dropSchema(pool, schema));
            Jdbi jdbi = Jdbi.create(pool);

            Module brokerModule;
            if (broker == BrokerKind.KAFKA) {
                String servers = bootstrapServers;
                if (servers == null) {
                    out.println("starting an embedded Kafka ...");
                    EmbeddedKafka kafka = EmbeddedKafka.builder().build();
                    resources.add(kafka);
                    kafka.start();
                    servers = kafka.bootstrapServers();
                }
                brokerModule = new KafkaBrokerModule(KafkaBrokerSettings.builder(servers)
                        .clientId("warehouse-demo-" + run)
                        .topicPolicy(TopicPolicy.createMissing(8, (short) 1))
                        .build());
            } else {
                String prefix = "warehouse-demo-" + run;
                brokerModule = new RabbitBrokerModule(RabbitBrokerSettings.builder()
                        .uri(amqpUri)
                        .queuePrefix(prefix)
                        .build());
                resources.add(() -> RabbitQueues.delete(amqpUri, prefix, SUBSCRIPTIONS));
            }
            return runDemo(jdbi, schema, source, brokerModule, resources);
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    out.println("warning: could not close " + resources.get(i) + ": " + e);
                }
            }
        }
    }

    private int runDemo(Jdbi jdbi, String schema, String source, Module brokerModule, List<AutoCloseable> resources)
            throws Exception {
        Progress progress = new Progress();
        JdbiStoreConfig storeConfig = JdbiStoreConfig.builder().schema(schema).build();
        JdbiMessageStore.create(jdbi, storeConfig).migrate();
        WarehouseSchema.create(jdbi);

        // One injector per relay instance, as if each ran in its own process; the first also runs the application.
        List<Injector> instances = new ArrayList<>();
        for (int i = 0; i < relays; i++) {
            instances.add(Guice.createInjector(application(jdbi, storeConfig, source, i, brokerModule, progress)));
        }
        Injector app = instances.get(0);
        for (Injector injector : instances) {
            resources.add(injector.getInstance(Broker.class));
        }
        JdbiOutbox outbox = app.getInstance(JdbiOutbox.class);
        MessageSerializer serializer = app.getInstance(MessageSerializer.class);
        Warehouse warehouse = new Warehouse(outbox);
        Catalog catalog = new Catalog(outbox);
        Deduplicator viewDedup = app.getInstance(DedupModule.key(ProductsView.NAME));
        Deduplicator notifierDedup = app.getInstance(DedupModule.key(LowQuantityNotifier.NAME));
        viewDedup.migrate();
        resources.add(viewDedup);
        resources.add(notifierDedup);

        Broker broker = app.getInstance(Broker.class);
        ProductsView view = new ProductsView(serializer);
        MessageHandler viewHandler = viewDedup.wrap((h, m) -> {
            view.handle(h, m);
            progress.consumed(m);
        });
        resources.add(subscribe(broker, ProductsView.NAME, ProductsView.PATTERN, source, progress, viewHandler));
        MessageHandler notifierHandler = notifierDedup.wrap(new LowQuantityNotifier(serializer, outbox));
        resources.add(subscribe(
                broker, LowQuantityNotifier.NAME, LowQuantityNotifier.PATTERN, source, progress, notifierHandler));
        resources.add(subscribe(
                broker, "session-feed", "Warehouse.Notifications", source, progress, m -> progress.notified()));
        resources.add(subscribe(broker, "catalog-feed", "Warehouse.Entities.#", source, progress, m -> {}));

        List<Relay> relayList = new ArrayList<>();
        for (Injector injector : instances) {
            Relay relay = injector.getInstance(Relay.class);
            resources.add(relay);
            relay.start();
            relayList.add(relay);
        }
        out.printf(
                Locale.ROOT,
                "broker %s, serializer %s, %d relay(s), %d products, %d commands on %d writers, %s%n",
                this.broker.name().toLowerCase(Locale.ROOT),
                avro ? "avro" : "json",
                relays,
                products,
                commands,
                writers,
                rate == 0 ? "as fast as they can" : String.format(Locale.ROOT, "%s/s", perSecond(rate)));

        JdbiMessageStore store = app.getInstance(JdbiMessageStore.class);
        for (int p = 0; p < products; p++) {
            String sku = sku(p);
            jdbi.useTransaction(h -> catalog.create(h, "session-demo", new Product(sku, "Product " + sku)));
        }
        warmUp(jdbi, warehouse, store, progress);

        Thread reporter = new Thread(() -> progress.report(out, store), "outbox-demo-progress");
        reporter.setDaemon(true);
        reporter.start();
        try {
            Pace pace = runCommands(jdbi, warehouse, progress);
            boolean caughtUp = awaitCaughtUp(jdbi, store, progress);
            progress.stop();
            reporter.join(2000);
            return summary(jdbi, relayList, progress, pace, caughtUp);
        } finally {
            progress.stop();
        }
    }

    private Module application(
            Jdbi jdbi,
            JdbiStoreConfig storeConfig,
            String source,
            int instance,
            Module brokerModule,
            Progress progress) {
        DedupTable table = DedupTable.DEFAULT.inSchema(storeConfig.schema().orElseThrow());
        return com.google.inject.util.Modules.combine(
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(Jdbi.class).toInstance(jdbi);
                        OptionalBinder.newOptionalBinder(binder(), RelayListener.class)
                                .setBinding()
                                .toInstance(progress);
                        DedupModule.listeners(binder()).addBinding().toInstance(progress);
                    }
                },
                new OutboxModule(source).withRelay(b -> b.id(source + "-relay-" + instance)),
                new JdbiStoreModule(storeConfig),
                avro ? new AvroSerializerModule() : new JacksonSerializerModule(),
                brokerModule,
                new DedupModule(ProductsView.NAME, table),
                new DedupModule(LowQuantityNotifier.NAME, table));
    }

    /**
     * Subscribes, ignoring messages of other demo runs that share the broker, and notes which types of message each
     * subscription has received (for the warm-up).
     */
    private static Subscription subscribe(
            Broker broker, String name, String pattern, String source, Progress progress, MessageHandler handler) {
        return broker.subscribe(
                SubscriptionSpec.builder(name).patterns(pattern).concurrency(4).build(), m -> {
                    if (m.source().equals(source)) {
                        handler.handle(m);
                        progress.received(name, m.envelope().type());
                    }
                });
    }

    /**
     * Stocks every product and ships one of each, takes one product to the low-quantity threshold and back, and waits
     * until the products view has received each event type (the notification for at most 10 s) and has it all: the
     * topics of the three events (and the catalogue's, appended just before) get created and found by the consumers'
     * pattern subscriptions, so the figures that follow are those of a running system, not of its start. Without this
     * the first measured shipments and low-quantity notification waited for their topics to be created and, up to the
     * consumers' metadata refresh (5 s), to be found.
     */
    private void warmUp(Jdbi jdbi, Warehouse warehouse, JdbiMessageStore store, Progress progress)
            throws InterruptedException {
        out.println("warming up (topics, subscriptions, lanes) ...");
        int stocked = 10 - 1;
        for (int p = 0; p < products; p++) {
            String sku = sku(p);
            jdbi.useTransaction(h -> warehouse.increase(h, sku, stocked + 1));
            jdbi.useTransaction(h -> warehouse.ship(h, sku, 1));
            progress.appended.addAndGet(2);
        }
        // One product falls to the threshold and back: the notifier appends a NotifiedLowProductQuantity, if it has
        // the product's earlier events by then (they come from two topics, in either order).
        int fall = stocked - LowQuantityNotifier.THRESHOLD;
        jdbi.useTransaction(h -> warehouse.ship(h, sku(0), fall));
        jdbi.useTransaction(h -> warehouse.increase(h, sku(0), fall));
        progress.appended.addAndGet(2);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean ok = awaitUntil(
                deadline,
                () -> progress.receivedAll(
                        List.of(ProductsView.NAME),
                        List.of(ProductQuantityIncreased.TYPE, ProductQuantityShipped.TYPE)));
        // The notification's topic, found by the view's subscription: waited for a little, not required.
        awaitUntil(
                Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)),
                () -> progress.receivedAll(List.of(ProductsView.NAME), List.of(NotifiedLowProductQuantity.TYPE)));
        if (!ok || !awaitCaughtUp(jdbi, store, progress)) {
            out.println("warning: the consumers did not catch up with the warm-up within " + timeout);
        }
        progress.reset();
    }

    /**
     * Runs {@link #commands} on {@link #writers} threads. With a {@link #rate}, command {@code k} is due at {@code k /
     * rate} seconds from the start, whatever happened to the others: each writer takes the next command of that one
     * schedule and parks until it is due (or starts it at once if it is late), so the arrivals do not slow down when
     * the system does. Latencies still count from each commit.
     */
    private Pace runCommands(Jdbi jdbi, Warehouse warehouse, Progress progress) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers, r -> new Thread(r, "outbox-demo-writer"));
        AtomicLong next = new AtomicLong();
        Latency behind = new Latency();
        long start = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(pool.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    long k;
                    while ((k = next.getAndIncrement()) < commands) {
                        if (rate > 0) {
                            long due = start + (long) (k * 1e9 / rate);
                            if (!parkUntil(due)) {
                                return null;
                            }
                            behind.record(Duration.ofNanos(System.nanoTime() - due));
                        }
                        String sku = sku(random.nextInt(products));
                        try {
                            MessageId id;
                            if (random.nextInt(10) < 6) {
                                id = jdbi.inTransaction(h -> warehouse.increase(h, sku, 1 + random.nextInt(10)));
                            } else {
                                id = jdbi.inTransaction(h -> warehouse.ship(h, sku, 1 + random.nextInt(8)));
                            }
                            // The commit has returned: the latencies count from here, not from created_at.
                            progress.committed(id);
                            progress.appended.incrementAndGet();
                        } catch (InsufficientQuantityOnHand refused) {
                            progress.refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return new Pace(commands, System.nanoTime() - start, behind);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Parks until {@code due} on {@link System#nanoTime()}; false if interrupted on the way. */
    private static boolean parkUntil(long due) {
        long left;
        while ((left = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return true;
    }

    /** How the writers kept to the schedule: commands run, how long they took, how late each started. */
    record Pace(long commands, long nanos, Latency behind) {
        double achieved() {
            return nanos == 0 ? 0 : commands * 1e9 / nanos;
        }
    }

    /** Polls {@code condition} every 100 ms until it holds (true) or {@code deadline} passes (false). */
    private static boolean awaitUntil(long deadline, BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return true;
    }

    private boolean awaitCaughtUp(Jdbi jdbi, JdbiMessageStore store, Progress progress) throws InterruptedException {
        return awaitUntil(
                System.nanoTime() + timeout.toNanos(),
                () -> store.status().stream().mapToLong(s -> s.backlog()).sum() == 0
                        && mismatches(jdbi).isEmpty()
                        && progress.consumed.get() >= progress.appended.get());
    }

    private static List<String> mismatches(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("select coalesce(p.sku, v.sku) as sku, p.quantity as state,"
                        + " v.quantity as view from warehouse_product p full join products_view v on v.sku = p.sku"
                        + " where p.quantity is distinct from v.quantity order by 1")
                .map((rs, ctx) -> rs.getString("sku") + ": command side " + rs.getObject("state") + ", view "
                        + rs.getObject("view"))
                .list());
    }

    private int summary(Jdbi jdbi, List<Relay> relayList, Progress progress, Pace pace, boolean caughtUp) {
        List<String> mismatches = mismatches(jdbi);
        List<StoppedLane> stopped = relayList.get(0).stoppedLanes();
        long low = jdbi.withHandle(h -> h.createQuery("select count(*) from low_quantity_notifier where low")
                .mapTo(Long.class)
                .one());
        out.println();
        out.println("summary");
        out.printf(
                Locale.ROOT,
                "  commands          %d committed, %d refused (insufficient quantity)%n",
                progress.appended.get(),
                progress.refused.get());
        if (rate == 0) {
            out.printf(
                    Locale.ROOT,
                    "  rate              %s/s achieved (%d commands in %.1f s), as fast as the writers can%n",
                    perSecond(pace.achieved()),
                    pace.commands(),
                    pace.nanos() / 1e9);
        } else {
            out.printf(
                    Locale.ROOT,
                    "  rate              %s/s achieved (%d commands in %.1f s) of %s/s asked; writers started"
                            + " p99 %s, max %s behind the schedule%n",
                    perSecond(pace.achieved()),
                    pace.commands(),
                    pace.nanos() / 1e9,
                    perSecond(rate),
                    ms(pace.behind().percentile(99)),
                    ms(pace.behind().percentile(100)));
        }
        out.printf(
                Locale.ROOT,
                "  published         %d messages (%d low-quantity notifications, %d session"
                        + " notifications delivered)%n",
                progress.published.get(),
                progress.lowNotices.get(),
                progress.notified.get());
        out.printf(
                Locale.ROOT,
                "  consumed          %d stock events by the products view, %d duplicates skipped%n",
                progress.consumed.get(),
                progress.skipped.get());
        out.printf(
                Locale.ROOT,
                "  commit->publish   p50 %s  p99 %s  (from the writer's commit returning to the broker's ack)%n",
                ms(progress.publishLatency.percentile(50)),
                ms(progress.publishLatency.percentile(99)));
        out.printf(
                Locale.ROOT,
                "  commit->consume   p50 %s  p99 %s  (from the writer's commit returning to the products view)%n",
                ms(progress.consumeLatency.percentile(50)),
                ms(progress.consumeLatency.percentile(99)));
        out.printf(Locale.ROOT, "  products low now  %d%n", low);
        out.printf(Locale.ROOT, "  stopped lanes     %s%n", stopped.isEmpty() ? "none" : stopped);
        if (caughtUp && mismatches.isEmpty()) {
            out.printf(Locale.ROOT, "  products view     matches the command side for all %d products%n", products);
        } else {
            out.printf(
                    Locale.ROOT,
                    "  products view     DOES NOT MATCH the command side%s:%n",
                    caughtUp ? "" : " (consumers did not catch up within " + timeout + ")");
            mismatches.forEach(m -> out.println("    " + m));
        }
        return caughtUp && mismatches.isEmpty() && stopped.isEmpty() ? 0 : 1;
    }

    private static String ms(double micros) {
        return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
    }

    private static String perSecond(double rate) {
        return rate == Math.rint(rate) && rate < 1e15
                ? String.format(Locale.ROOT, "%d", (long) rate)
                : String.format(Locale.ROOT, "%.1f", rate);
    }

    private static String sku(int i) {
        return String.format(Locale.ROOT, "sku-%03d", i);
    }

    private void createSchema(String url, String schema) throws Exception {
        try (HikariDataSource admin = pool(url, null);
                Connection c = admin.getConnection();
                Statement st = c.createStatement()) {
            st.execute("create schema " + schema);
        }
    }

    private static void dropSchema(HikariDataSource pool, String schema) throws Exception {
        try (Connection c = pool.getConnection();
                Statement st = c.createStatement()) {
            st.execute("drop schema if exists " + schema + " cascade");
        }
    }

    private HikariDataSource pool(String url, String schema) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(dbUser);
        cfg.setPassword(dbPassword);
        cfg.setMaximumPoolSize(writers + 4 * relays + 8);
        cfg.setPoolName("outbox-demo");
        if (schema != null) {
            cfg.addDataSourceProperty("currentSchema", schema);
        }
        return new HikariDataSource(cfg);
    }

    /** Counts and latencies, shared by the relays' listener, the consumers and the reporter. */
    static final class Progress implements RelayListener, DedupListener {
        final AtomicLong appended = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong published = new AtomicLong();
        final AtomicLong consumed = new AtomicLong();
        final AtomicLong skipped = new AtomicLong();
        final AtomicLong notified = new AtomicLong();
        final AtomicLong lowNotices = new AtomicLong();
        final Latency publishLatency = new Latency();
        final Latency consumeLatency = new Latency();
        private final CommitClock clock = new CommitClock(publishLatency, consumeLatency);
        /** Subscription name to the types of message it has received. */
        private final ConcurrentHashMap<String, Set<String>> received = new ConcurrentHashMap<>();

        private volatile boolean running = true;

        /** A writer's commit of the command that appended {@code id} has returned. */
        void committed(MessageId id) {
            clock.committed(id);
        }

        @Override
        public void published(dev.outbox.OutgoingMessage message, Duration sinceCreated) {
            published.incrementAndGet();
            clock.published(message.envelope().messageId());
            if (message.envelope().type().equals(NotifiedLowProductQuantity.TYPE)) {
                lowNotices.incrementAndGet();
            }
        }

        @Override
        public void skipped(String consumer, IncomingMessage message) {
            skipped.incrementAndGet();
        }

        void consumed(IncomingMessage m) {
            String type = m.envelope().type();
            if (type.endsWith("ProductQuantityIncreased") || type.endsWith("ProductQuantityShipped")) {
                consumed.incrementAndGet();
                clock.consumed(m.messageId());
            }
        }

        /** Forgets the warm-up: counts and latencies start again from here. */
        void reset() {
            for (AtomicLong counter : List.of(appended, refused, published, consumed, skipped, notified, lowNotices)) {
                counter.set(0);
            }
            clock.reset();
            publishLatency.reset();
            consumeLatency.reset();
        }

        void received(String subscription, String type) {
            received.computeIfAbsent(subscription, k -> ConcurrentHashMap.newKeySet())
                    .add(type);
        }

        boolean receivedAll(List<String> subscriptions, List<String> types) {
            return subscriptions.stream()
                    .allMatch(s -> received.getOrDefault(s, Set.of()).containsAll(types));
        }

        void notified() {
            notified.incrementAndGet();
        }

        void stop() {
            running = false;
        }

        void report(PrintStream out, JdbiMessageStore store) {
            long[] last = {0, 0, 0, 0};
            while (running) {
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
                long a = appended.get();
                long p = published.get();
                long c = consumed.get();
                long s = skipped.get();
                long backlog;
                try {
                    backlog =
                            store.status().stream().mapToLong(l -> l.backlog()).sum();
                } catch (RuntimeException e) {
                    backlog = -1;
                }
                out.printf(
                        Locale.ROOT,
                        "appended %6d/s  published %6d/s  consumed %6d/s  duplicates skipped %4d/s" + "  backlog %6d%n",
                        a - last[0],
                        p - last[1],
                        c - last[2],
                        s - last[3],
                        backlog);
                last[0] = a;
                last[1] = p;
                last[2] = c;
                last[3] = s;
            }
        }
    }

    /**
     * When each stock event's command committed (the writer's commit returned), was acknowledged by the broker, and
     * was consumed by the products view, all on this JVM's monotonic clock; records commit→publish and
     * commit→consume once both ends of a pair are known, in whatever order they come (the relay may publish before the
     * writer thread has noted its commit: that counts as zero). Only messages whose commit was noted are measured.
     * Thread-safe.
     */
    static final class CommitClock {
        private static final int COMMITTED = 0;
        private static final int PUBLISHED = 1;
        private static final int CONSUMED = 2;

        private final Latency publish;
        private final Latency consume;
        /** Message id to its three times, 0 while unknown; removed once all three are. */
        private final ConcurrentHashMap<Long, long[]> times = new ConcurrentHashMap<>();

        CommitClock(Latency publish, Latency consume) {
            this.publish = publish;
            this.consume = consume;
        }

        void committed(MessageId id) {
            note(id, COMMITTED);
        }

        void published(MessageId id) {
            note(id, PUBLISHED);
        }

        void consumed(MessageId id) {
            note(id, CONSUMED);
        }

        void reset() {
            times.clear();
        }

        private void note(MessageId id, int what) {
            long now = System.nanoTime();
            long[] t = times.computeIfAbsent(id.value(), k -> new long[3]);
            synchronized (t) {
                if (t[what] != 0) {
                    // A duplicate delivery or a second publish: the first one counts.
                    return;
                }
                t[what] = now == 0 ? 1 : now;
                if (t[COMMITTED] == 0) {
                    return;
                }
                if (t[PUBLISHED] != 0 && what != CONSUMED) {
                    publish.record(Duration.ofNanos(t[PUBLISHED] - t[COMMITTED]));
                }
                if (t[CONSUMED] != 0 && what != PUBLISHED) {
                    consume.record(Duration.ofNanos(t[CONSUMED] - t[COMMITTED]));
                }
                if (t[PUBLISHED] != 0 && t[CONSUMED] != 0) {
                    times.remove(id.value());
                }
            }
        }
    }

    /** A latency histogram in microseconds, recorded from many threads. */
    static final class Latency {
        private final Recorder recorder = new Recorder(3);
        private final org.HdrHistogram.Histogram total = new org.HdrHistogram.Histogram(3);

        void record(Duration d) {
            recorder.recordValue(Math.max(0, d.toNanos() / 1000));
        }

        synchronized void reset() {
            recorder.reset();
            total.reset();
        }

        synchronized double percentile(double p) {
            total.add(recorder.getIntervalHistogram());
            return total.getTotalCount() == 0 ? 0 : total.getValueAtPercentile(p);
        }
    }
}
