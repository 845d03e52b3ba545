package dev.outbox.broker.kafka;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relay in a child JVM ({@link ChildRelayMain}) on the test's PostgreSQL schema and Kafka, so that a test can do to
 * it what a crash or a stall does to a real relay: SIGKILL ({@link #kill()}), SIGSTOP and SIGCONT ({@link #pause()},
 * {@link #resume()}), and hold it at a chosen point of its publish path first ({@link Window}).
 *
 * <p>The child runs {@code java} of this JVM with this JVM's {@code java.class.path}. Its output goes to {@code
 * target/child-relays/<relay id>.log}; the lines it marks ({@link ChildRelayMain#MARK}) are kept for {@link #awaitMark}.
 * Nothing outlives the test: {@link ChildRelays} kills every child after each test, a shutdown hook kills the ones left
 * when this JVM exits, and a child halts by itself when this JVM dies, because its standard input closes.
 *
 * <p>Every wait is bounded. Thread-safe.
 */
final class ChildRelay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChildRelay.class);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(15);
    private static final Duration READY_WAIT = Duration.ofSeconds(60);
    private static final Path LOGS = Paths.get("target", "child-relays");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> LIVE.forEach(p -> p.toHandle().destroyForcibly()), "outbox-child-relay-shutdown"));
    }

    /** Where a child relay holds itself until it is killed, paused or released. */
    enum Window {
        /** Nowhere: it relays until it is killed or stopped. */
        NONE,
        /**
         * After Kafka acknowledged the {@code at}-th record of the test's topic and before the transaction holding it
         * commits: the producer's network thread is blocked, so no commit (of any transaction of that producer) can
         * complete.
         */
        BEFORE_COMMIT,
        /**
         * After every message of a publish (the first from the {@code at}-th that fully succeeded) was acknowledged, and
         * committed in exactly-once mode, and before the relay learns of it: it never deletes that batch.
         */
        AFTER_COMMIT
    }

    /**
     * Where a child relay works: the test's PostgreSQL schema and outbox tables, and its Kafka and topic.
     *
     * @param clientId the Kafka client id of every relay of the outbox, as the instances of one application share
     *     their settings (the exactly-once mode names its positions topic after it)
     * @param topic the test's topic, whose acknowledgements {@link Window#BEFORE_COMMIT} counts
     */
    record Environment(
            String jdbcUrl,
            String jdbcUser,
            String schema,
            String tablePrefix,
            int lanes,
            String bootstrapServers,
            String clientId,
            int partitions,
            String topic,
            String source) {}

    /** One child's settings; defaults: at-least-once, 3 s lease, 500 ms heartbeat, concurrency 2, batch 200. */
    record Spec(
            Environment environment,
            String relayId,
            boolean exactlyOnce,
            Duration lease,
            Duration heartbeat,
            int concurrency,
            int batchSize,
            Window window,
            int holdAt) {

        static Spec of(Environment environment, String relayId) {
            return new Spec(
                    environment, relayId, false, Duration.ofSeconds(3), Duration.ofMillis(500), 2, 200, Window.NONE, 0);
        }

        Spec exactlyOnce(boolean on) {
            return new Spec(environment, relayId, on, lease, heartbeat, concurrency, batchSize, window, holdAt);
        }

        Spec lease(Duration lease, Duration heartbeat) {
            return new Spec(
                    environment, relayId, exactlyOnce, lease, heartbeat, concurrency, batchSize, window, holdAt);
        }

        Spec concurrency(int concurrency) {
            return new Spec(
                    environment, relayId, exactlyOnce, lease, heartbeat, concurrency, batchSize, window, holdAt);
        }

        Spec batchSize(int batchSize) {
            return new Spec(
                    environment, relayId, exactlyOnce, lease, heartbeat, concurrency, batchSize, window, holdAt);
        }

        /** Holds the child at {@code window}, at the {@code at}-th record or publish (see {@link Window}). */
        Spec hold(Window window, int at) {
            if (window != Window.NONE && at < 1) {
                throw new IllegalArgumentException("hold at must be at least 1, was " + at);
            }
            return new Spec(environment, relayId, exactlyOnce, lease, heartbeat, concurrency, batchSize, window, at);
        }
    }

    private final Spec spec;
    private final Process process;
    private final OutputStream control;
    private final Path logFile;
    private final Thread output;
    private final List<String> marks = new ArrayList<>();

    private ChildRelay(Spec spec, Process process, Path logFile) {
        this.spec = spec;
        this.process = process;
        this.control = process.getOutputStream();
        this.logFile = logFile;
        this.output = new Thread(this::copyOutput, "outbox-child-relay-output-" + spec.relayId());
        this.output.setDaemon(true);
        this.output.start();
    }

    /**
     * Starts a child relay and returns once it relays (its first heartbeat made), at most 60 s. Prefer {@link
     * ChildRelays#start}, which kills it after the test.
     */
    static ChildRelay start(Spec spec) {
        Path logFile;
        Path settings;
        try {
            Files.createDirectories(LOGS);
            logFile = LOGS.resolve(spec.relayId() + ".log");
            settings = LOGS.resolve(spec.relayId() + ".properties");
            writeSettings(spec, settings);
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare child relay " + spec.relayId(), e);
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current()
                .info()
                .command()
                .orElse(Paths.get(System.getProperty("java.home"), "bin", "java")
                        .toString()));
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ChildRelayMain.class.getName());
        command.add(settings.toAbsolutePath().toString());
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start a JVM for child relay " + spec.relayId(), e);
        }
        LIVE.add(process);
        ChildRelay child = new ChildRelay(spec, process, logFile);
        log.info("child relay {} (pid {}) started, log {}", spec.relayId(), process.pid(), logFile);
        try {
            child.awaitMark(m -> m.equals("ready"), READY_WAIT);
        } catch (RuntimeException e) {
            child.close();
            throw e;
        }
        return child;
    }

    private static void writeSettings(Spec spec, Path file) throws IOException {
        Environment env = spec.environment();
        Properties p = new Properties();
        p.setProperty("jdbc.url", env.jdbcUrl());
        p.setProperty("jdbc.user", env.jdbcUser());
        p.setProperty("jdbc.schema", env.schema());
        // Named like the test's own pools, so dropping the schema ends backends a killed child left behind.
        p.setProperty("jdbc.applicationName", "outbox-" + env.schema());
        p.setProperty("store.tablePrefix", env.tablePrefix());
        p.setProperty("store.lanes", Integer.toString(env.lanes()));
        p.setProperty("kafka.bootstrapServers", env.bootstrapServers());
        p.setProperty("kafka.clientId", env.clientId());
        p.setProperty("kafka.partitions", Integer.toString(env.partitions()));
        p.setProperty("topic", env.topic());
        p.setProperty("relay.source", env.source());
        p.setProperty("relay.id", spec.relayId());
        p.setProperty("relay.lease", spec.lease().toString());
        p.setProperty("relay.heartbeat", spec.heartbeat().toString());
        p.setProperty("relay.concurrency", Integer.toString(spec.concurrency()));
        p.setProperty("relay.batchSize", Integer.toString(spec.batchSize()));
        p.setProperty("exactlyOnce", Boolean.toString(spec.exactlyOnce()));
        p.setProperty("hold.window", spec.window().name());
        p.setProperty("hold.at", Integer.toString(spec.holdAt()));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, "child relay " + spec.relayId());
        }
    }

    /** The relay's id. */
    String relayId() {
        return spec.relayId();
    }

    /** The child's process id. */
    long pid() {
        return process.pid();
    }

    /** Whether the child is alive (a paused child is). */
    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits, at most {@code bound}, for a line the child marked that starts with {@code prefix}, and returns it (without
     * the mark).
     *
     * @throws AssertionError if none came in time, or the child ended before; with the tail of its log
     */
    String awaitMark(String prefix, Duration bound) {
        return awaitMark(m -> m.startsWith(prefix), bound);
    }

    /** As {@link #awaitMark(String, Duration)}, for the first marked line that passes {@code test}. */
    synchronized String awaitMark(Predicate<String> test, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            Optional<String> found = marks.stream().filter(test).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("child relay " + spec.relayId() + " marked no expected line within " + bound
                        + "; marks " + marks + "\n" + tail());
            }
            if (!output.isAlive()) {
                throw new AssertionError("child relay " + spec.relayId() + " ended (exit "
                        + (process.isAlive() ? "?" : process.exitValue()) + ") before the expected line; marks " + marks
                        + "\n" + tail());
            }
            try {
                wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for child relay " + spec.relayId(), e);
            }
        }
    }

    /** Every line the child marked so far (without the mark). */
    synchronized List<String> marks() {
        return List.copyOf(marks);
    }

    /** SIGKILL, and waits until the process is gone (at most 15 s). */
    void kill() {
        process.destroyForcibly();
        awaitExit();
        log.info("child relay {} (pid {}) killed", spec.relayId(), process.pid());
    }

    /** SIGSTOP: the whole JVM stops where it is, its heartbeats too, its connections stay open. */
    void pause() {
        signal("STOP");
        log.info("child relay {} (pid {}) paused", spec.relayId(), process.pid());
    }

    /** SIGCONT after {@link #pause()}. */
    void resume() {
        signal("CONT");
        log.info("child relay {} (pid {}) resumed", spec.relayId(), process.pid());
    }

    /** Lets a held child go on from its hold. */
    void release() {
        send("release");
    }

    /**
     * Closes the relay gracefully and waits for the child to exit, at most {@code bound}; kills it if it is still
     * alive then.
     */
    void stop(Duration bound) {
        send("stop");
        try {
            if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("child relay {} did not stop within {}: killing it", spec.relayId(), bound);
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** Kills the child if it is alive (a paused one too), and stops reading its output; idempotent. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            awaitExit();
        }
        LIVE.remove(process);
        try {
            control.close();
        } catch (IOException e) {
            // The child is gone; nothing to tell it.
        }
        try {
            output.join(EXIT_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines of the child's log. */
    String tail() {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long from = Math.max(0, f.length() - 8_192);
            byte[] bytes = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            return "---- last lines of " + logFile + "\n" + new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log " + logFile + ": " + e.getMessage() + ")";
        }
    }

    private void awaitExit() {
        try {
            if (!process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("child relay " + spec.relayId() + " (pid " + process.pid()
                        + ") still runs " + EXIT_WAIT + " after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for child relay " + spec.relayId(), e);
        }
        LIVE.remove(process);
    }

    private void signal(String signal) {
        if (!process.isAlive()) {
            throw new IllegalStateException("child relay " + spec.relayId() + " is not running\n" + tail());
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -" + signal + " did not return within " + EXIT_WAIT);
            }
            if (kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling child relay " + spec.relayId(), e);
        }
    }

    private void send(String command) {
        try {
            control.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            control.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("could not tell child relay " + spec.relayId() + " to " + command, e);
        }
    }

    private void copyOutput() {
        String prefix = ChildRelayMain.MARK + " ";
        try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                BufferedWriter out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.write(line);
                out.newLine();
                out.flush();
                if (line.startsWith(prefix)) {
                    synchronized (this) {
                        marks.add(line.substring(prefix.length()));
                        notifyAll();
                    }
                }
            }
        } catch (IOException e) {
            log.debug("output of child relay {} ended: {}", spec.relayId(), e.toString());
        } finally {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    @Override
    public String toString() {
        return "ChildRelay[" + spec.relayId() + ", pid " + process.pid() + (process.isAlive() ? "" : ", dead") + "]";
    }
}
