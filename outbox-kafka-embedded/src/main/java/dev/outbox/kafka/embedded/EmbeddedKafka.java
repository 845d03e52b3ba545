package dev.outbox.kafka.embedded;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.spi.Validation;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one process), run from the {@code
 * org.apache.kafka:kafka_2.13} artifact in a child JVM: for tests, demos and benchmarks.
 *
 * <p>It listens on two free ports of 127.0.0.1 (chosen at the first {@link #start()} and kept for its life, so clients
 * find it again after a {@link #restart()}) and keeps its data in a new temporary directory. Because it is a separate
 * process, {@link #kill()} is a real SIGKILL, and a following {@link #start()} recovers the log like a crashed broker
 * does.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().brokerProperty("message.max.bytes", "2097152").build()) {
 *     kafka.start();                         // ready to take requests when it returns, ~10 s
 *     String servers = kafka.bootstrapServers();
 *     kafka.kill();                          // SIGKILL
 *     kafka.start();                         // same ports, same data
 * }                                          // killed, directory deleted
 * }</pre>
 *
 * <p>Nothing is left behind: {@link #close()} kills the process and deletes the directory; a JVM shutdown hook closes
 * every instance still open, for tests that fail before their own cleanup; and the child halts by itself (deleting its
 * directory) when the JVM that started it dies, even by SIGKILL, because it watches its standard input, a pipe the
 * parent holds open.
 *
 * <p>The child's classpath is the current JVM's {@code java.class.path} (plus the URLs of the class loader that loaded
 * this class, when it is a {@link URLClassLoader}), which holds {@code kafka_2.13} whenever this module is a dependency.
 * The child's standard output and error go to {@link #logFile()}; when the broker fails to start, the exception ends
 * with the tail of that file.
 *
 * <p>Thread-safe: the lifecycle methods are serialised on the instance.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final String HOST = "127.0.0.1";
    private static final int TAIL_LINES = 60;
    private static final int PORT_ATTEMPTS = 3;
    private static final Duration KILL_WAIT = Duration.ofSeconds(15);

    /** Properties the helper sets itself from the ports and directory it chose; they cannot be overridden. */
    private static final Set<String> OWN_PROPERTIES = Set.of(
            "process.roles",
            "node.id",
            "controller.quorum.voters",
            "controller.quorum.bootstrap.servers",
            "controller.listener.names",
            "listeners",
            "advertised.listeners",
            "listener.security.protocol.map",
            "inter.broker.listener.name",
            "log.dirs",
            "log.dir",
            "metadata.log.dir");

    private static final Set<EmbeddedKafka> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> List.copyOf(OPEN).forEach(EmbeddedKafka::closeQuietly),
                        "outbox-embedded-kafka-shutdown"));
    }

    private final Map<String, String> overrides;
    private final String maxHeap;
    private final List<String> jvmOptions;
    private final Duration startupTimeout;
    private final Duration stopTimeout;
    private final String classpath;
    private final Path baseDirectory;

    // Guarded by this.
    private Path directory;
    private int port;
    private int controllerPort;
    private Process process;
    private OutputStream childInput;
    private boolean closed;

    private EmbeddedKafka(Builder b) {
        this.overrides = Map.copyOf(b.overrides);
        this.maxHeap = b.maxHeap;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.startupTimeout = b.startupTimeout;
        this.stopTimeout = b.stopTimeout;
        this.classpath = b.classpath == null ? defaultClasspath() : b.classpath;
        this.baseDirectory = b.baseDirectory;
    }

    /** Guarded by the class: the broker {@link #shared()} gives, once started. */
    private static EmbeddedKafka shared;

    /**
     * One broker with the default settings for everything in this JVM that asks for it, started by the first call and
     * killed when the JVM exits: test classes that only need a Kafka share one start-up. Do not close, kill or restart
     * it; a test that does needs its own from {@link #builder()}. Topics of one user are visible to the others, so
     * name them uniquely.
     */
    public static synchronized EmbeddedKafka shared() {
        if (shared == null) {
            EmbeddedKafka kafka = builder().build();
            kafka.start();
            shared = kafka;
        }
        return shared;
    }

    /** A builder; every setting has a default. */
    public static Builder builder() {
        return new Builder();
    }

    // --- lifecycle -----------------------------------------------------------------------------------------------

    /**
     * Starts the broker and returns once it answers requests. The first start creates the directory, chooses the ports
     * and formats the log directory; a later start (after {@link #stop()} or {@link #kill()}) reuses all three.
     *
     * @throws IllegalStateException if it is running or closed
     * @throws EmbeddedKafkaException if the broker did not come up within the startup timeout (default 60 s), with the
     *     tail of its log
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("embedded Kafka is closed");
        }
        if (isRunning()) {
            throw new IllegalStateException("embedded Kafka is already running at " + bootstrapServers());
        }
        OPEN.add(this);
        if (directory != null) {
            launchServer();
            return;
        }
        createDirectory();
        // Another process may take a port between the moment it was found free and the broker's bind: choose again.
        for (int attempt = 1; ; attempt++) {
            choosePorts();
            writeConfig();
            format();
            try {
                launchServer();
                return;
            } catch (EmbeddedKafkaException e) {
                if (attempt >= PORT_ATTEMPTS || !tail().contains("Address already in use")) {
                    throw e;
                }
                deleteTree(dataDirectory());
            }
        }
    }

    /**
     * Stops the broker gracefully (SIGTERM, so it shuts down cleanly) and waits for it, at most the stop timeout
     * (default 30 s) before killing it. The data stays for a later {@link #start()}. Does nothing when it is not
     * running.
     */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        // Through the handle, not Process.destroy(), which also closes the child's standard input: the child would
        // take that for its parent's death and halt at once instead of shutting down cleanly.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            return;
        }
        log.info("embedded Kafka (pid {}) at {} stopped", process.pid(), bootstrapServers());
        detach();
    }

    /**
     * Kills the broker with SIGKILL, as a crash would, and waits until the process is gone. The data stays for a later
     * {@link #start()}, which recovers it. Does nothing when it is not running.
     *
     * @throws EmbeddedKafkaException if the process is still alive 15 s after the signal
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new EmbeddedKafkaException(
                        "embedded Kafka (pid " + process.pid() + ") still runs " + KILL_WAIT + " after SIGKILL");
            }
            log.info("embedded Kafka (pid {}) at {} killed", process.pid(), bootstrapServers());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("interrupted while waiting for embedded Kafka to die", e);
        }
        detach();
    }

    /**
     * Stops the broker gracefully if it runs, then starts it again on the same ports and data.
     *
     * @throws IllegalStateException if it is closed
     * @throws EmbeddedKafkaException as {@link #start()}
     */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Kills the broker if it runs and deletes its directory; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kill();
        } finally {
            OPEN.remove(this);
            if (directory != null) {
                deleteTree(directory);
            }
        }
    }

    // --- what clients need ------------------------------------------------------------------------------------------

    /**
     * The {@code bootstrap.servers} value for clients, {@code 127.0.0.1:<port>}; the same across restarts.
     *
     * @throws IllegalStateException before the first {@link #start()}
     */
    public synchronized String bootstrapServers() {
        if (port == 0) {
            throw new IllegalStateException("embedded Kafka was never started: no port yet");
        }
        return HOST + ":" + port;
    }

    /** Whether the broker process is alive. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * The broker's directory, holding {@code server.properties}, the log directory {@code data} and the child's output
     * {@code kafka.log}.
     *
     * @throws IllegalStateException before the first {@link #start()}
     */
    public synchronized Path directory() {
        if (directory == null) {
            throw new IllegalStateException("embedded Kafka was never started: no directory yet");
        }
        return directory;
    }

    /** The file that receives the child JVM's standard output and error, across restarts. */
    public synchronized Path logFile() {
        return directory().resolve("kafka.log");
    }

    /** The broker's configuration as written to {@code server.properties}: the defaults and the overrides. */
    public synchronized Map<String, String> brokerProperties() {
        return Map.copyOf(properties());
    }

    // --- internals ------------------------------------------------------------------------------------------------

    private Path dataDirectory() {
        return directory.resolve("data");
    }

    private Path configFile() {
        return directory.resolve("server.properties");
    }

    private void createDirectory() {
        try {
            Files.createDirectories(baseDirectory);
            directory = Files.createTempDirectory(baseDirectory, "outbox-kafka-");
            Files.writeString(directory.resolve(ChildMain.MARKER), "an embedded Kafka's directory, deleted on close\n");
        } catch (IOException e) {
            throw new EmbeddedKafkaException("could not create a directory for embedded Kafka in " + baseDirectory, e);
        }
    }

    private void choosePorts() {
        // Both sockets are open at once, so the two ports differ.
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getByName(HOST));
                ServerSocket b = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            port = a.getLocalPort();
            controllerPort = b.getLocalPort();
        } catch (IOException e) {
            throw new EmbeddedKafkaException("could not find free ports on " + HOST, e);
        }
    }

    private Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", directory == null ? "" : dataDirectory().toString());
        p.putAll(Builder.DEFAULTS);
        p.putAll(overrides);
        return p;
    }

    private void writeConfig() {
        Properties props = new Properties();
        props.putAll(properties());
        try (Writer w = Files.newBufferedWriter(configFile(), StandardCharsets.UTF_8)) {
            props.store(w, "embedded Kafka");
        } catch (IOException e) {
            throw new EmbeddedKafkaException("could not write " + configFile(), e);
        }
    }

    private void format() {
        Process formatter = spawn(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                configFile().toString());
        try {
            if (!formatter.waitFor(startupTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                formatter.destroyForcibly();
                throw failure("formatting the log directory did not finish within " + startupTimeout, null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            formatter.destroyForcibly();
            throw failure("interrupted while formatting the log directory", e);
        } finally {
            closeQuietly(formatter.getOutputStream());
        }
        if (formatter.exitValue() != 0) {
            throw failure("formatting the log directory failed with exit code " + formatter.exitValue(), null);
        }
    }

    private void launchServer() {
        long began = System.nanoTime();
        process = spawn("kafka.Kafka", configFile().toString());
        childInput = process.getOutputStream();
        try {
            awaitReady();
            log.info(
                    "embedded Kafka (pid {}) ready at {} in {} ms, log {}",
                    process.pid(),
                    bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began),
                    logFile());
        } catch (RuntimeException e) {
            process.destroyForcibly();
            try {
                process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            detach();
            throw e;
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        Exception last = null;
        Admin admin = null;
        try {
            while (true) {
                if (!process.isAlive()) {
                    throw failure("the broker exited with code " + process.exitValue() + " before it was ready", last);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw failure("the broker was not ready within " + startupTimeout, last);
                }
                // Only talk Kafka once the port accepts connections: the client logs every refused connection.
                if (admin == null && accepts(port)) {
                    admin = probeClient();
                }
                if (admin != null) {
                    try {
                        Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000))
                                .nodes()
                                .get(3, TimeUnit.SECONDS);
                        if (!nodes.isEmpty()) {
                            return;
                        }
                    } catch (ExecutionException | TimeoutException e) {
                        last = e;
                    }
                }
                // Doubles as the poll interval and as the check that the child is still alive.
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted while waiting for the broker to be ready", e);
        } finally {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        }
    }

    private Admin probeClient() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + port);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "outbox-embedded-kafka-probe");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        return Admin.create(p);
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Process spawn(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + maxHeap);
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.add("-Djava.awt.headless=true");
        command.add("-D" + ChildMain.DIRECTORY_PROPERTY + "=" + directory);
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        // The broker's log is a file of its own: keep it at INFO whatever the caller's logging file says.
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info");
        command.add("-Dorg.slf4j.simpleLogger.log.kafka=info");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(ChildMain.class.getName());
        command.add(mainClass);
        command.addAll(List.of(args));
        Path log = directory.resolve("kafka.log");
        try {
            Files.writeString(
                    log,
                    "---- " + Instant.now() + " " + mainClass + " " + String.join(" ", args) + "\n",
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            return new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new EmbeddedKafkaException("could not start a JVM for " + mainClass + ": " + command.get(0), e);
        }
    }

    private void detach() {
        closeQuietly(childInput);
        childInput = null;
        process = null;
    }

    private EmbeddedKafkaException failure(String what, Throwable cause) {
        String message =
                "embedded Kafka in " + directory + ": " + what + "\n---- last lines of " + logFile() + "\n" + tail();
        return cause == null ? new EmbeddedKafkaException(message) : new EmbeddedKafkaException(message, cause);
    }

    private String tail() {
        Path log = directory.resolve("kafka.log");
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            long from = Math.max(0, length - 16_384);
            byte[] bytes = new byte[(int) (length - from)];
            f.seek(from);
            f.readFully(bytes);
            List<String> lines = List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + root, e);
        }
    }

    private static void closeQuietly(EmbeddedKafka kafka) {
        try {
            kafka.close();
        } catch (RuntimeException e) {
            // Shutting down: nothing left to report to.
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // The child may be gone already; nothing to do.
        }
    }

    private static String defaultClasspath() {
        Set<String> entries = new LinkedHashSet<>(
                List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        // Under a launcher with its own class loader (exec:java, some IDE runners) this module is not on the system
        // class path, but on that loader's URLs.
        if (EmbeddedKafka.class.getClassLoader() instanceof URLClassLoader loader) {
            for (URL url : loader.getURLs()) {
                try {
                    entries.add(Paths.get(url.toURI()).toString());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    // Not a file: the child could not use it anyway.
                }
            }
        }
        entries.remove("");
        return String.join(java.io.File.pathSeparator, entries);
    }

    @Override
    public String toString() {
        synchronized (this) {
            return "EmbeddedKafka[" + (port == 0 ? "not started" : HOST + ":" + port) + (isRunning() ? ", running" : "")
                    + (closed ? ", closed" : "") + "]";
        }
    }

    /** Builds an {@link EmbeddedKafka}; validation happens in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        /**
         * Defaults for a single-node test broker, besides the listeners, ports, roles and directory: every replication
         * factor 1, one partition per new topic, no delay before the first consumer group rebalance, and topics not
         * created automatically (they are created on purpose: by the broker adapter's topic policy or by the test).
         */
        static final Map<String, String> DEFAULTS = defaults();

        private final Map<String, String> overrides = new LinkedHashMap<>();
        private String maxHeap = "512m";
        private final List<String> jvmOptions = new ArrayList<>();
        private Duration startupTimeout = Duration.ofSeconds(60);
        private Duration stopTimeout = Duration.ofSeconds(30);
        private String classpath;
        private Path baseDirectory = Paths.get(System.getProperty("java.io.tmpdir"));

        private Builder() {}

        private static Map<String, String> defaults() {
            Map<String, String> d = new LinkedHashMap<>();
            d.put("num.partitions", "1");
            d.put("default.replication.factor", "1");
            d.put("min.insync.replicas", "1");
            d.put("offsets.topic.replication.factor", "1");
            d.put("offsets.topic.num.partitions", "5");
            d.put("transaction.state.log.replication.factor", "1");
            d.put("transaction.state.log.min.isr", "1");
            d.put("transaction.state.log.num.partitions", "5");
            d.put("share.coordinator.state.topic.replication.factor", "1");
            d.put("share.coordinator.state.topic.min.isr", "1");
            d.put("group.initial.rebalance.delay.ms", "0");
            d.put("auto.create.topics.enable", "false");
            return Map.copyOf(d);
        }

        /**
         * Sets a broker property, overriding the defaults (see {@link EmbeddedKafka#brokerProperties()}), e.g. {@code
         * message.max.bytes}. The listeners, ports, roles, node id and directories are the helper's and cannot be set.
         */
        public Builder brokerProperty(String name, String value) {
            if (name == null || name.isBlank()) {
                throw new InvalidConfigurationException("broker property name must not be blank");
            }
            if (value == null) {
                throw new InvalidConfigurationException("broker property " + name + " must not have a null value");
            }
            if (OWN_PROPERTIES.contains(name)) {
                throw new InvalidConfigurationException(
                        "broker property " + name + " is set by the embedded Kafka itself and cannot be overridden");
            }
            overrides.put(name, value);
            return this;
        }

        /** Sets several broker properties, as {@link #brokerProperty} does for each. */
        public Builder brokerProperties(Map<String, String> properties) {
            Objects.requireNonNull(properties, "properties");
            properties.forEach(this::brokerProperty);
            return this;
        }

        /** The child JVM's maximum heap, as for {@code -Xmx}. Default {@code 512m}. */
        public Builder maxHeap(String maxHeap) {
            this.maxHeap = maxHeap;
            return this;
        }

        /** Adds an option to the child JVM's command line, e.g. {@code -XX:+UseSerialGC}. Default: none. */
        public Builder jvmOption(String option) {
            if (option == null || option.isBlank()) {
                throw new InvalidConfigurationException("jvmOption must not be blank");
            }
            jvmOptions.add(option);
            return this;
        }

        /** How long {@link #start()} waits for the broker to answer (and the formatter to finish). Default 60 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = startupTimeout;
            return this;
        }

        /** How long {@link #stop()} waits for a graceful shutdown before it kills. Default 30 s. */
        public Builder stopTimeout(Duration stopTimeout) {
            this.stopTimeout = stopTimeout;
            return this;
        }

        /**
         * The child JVM's classpath; it must hold {@code kafka_2.13} and its dependencies, and this module. Default:
         * the current JVM's {@code java.class.path} (see the class comment).
         */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        /** Where the broker's temporary directory is created. Default {@code java.io.tmpdir}. */
        public Builder baseDirectory(Path baseDirectory) {
            this.baseDirectory = baseDirectory;
            return this;
        }

        /**
         * Builds the (not yet started) broker.
         *
         * @throws InvalidConfigurationException naming the bad setting
         */
        public EmbeddedKafka build() {
            if (maxHeap == null || !maxHeap.matches("[1-9][0-9]*[kKmMgG]?")) {
                throw new InvalidConfigurationException("maxHeap must look like 512m or 2g, was '" + maxHeap + "'");
            }
            Validation.positive(startupTimeout, Duration.ofHours(1), "startupTimeout");
            Validation.positive(stopTimeout, Duration.ofHours(1), "stopTimeout");
            if (classpath != null && classpath.isBlank()) {
                throw new InvalidConfigurationException("classpath must not be blank");
            }
            if (baseDirectory == null) {
                throw new InvalidConfigurationException("baseDirectory must not be null");
            }
            return new EmbeddedKafka(this);
        }
    }
}
