package dev.outbox.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark command: runs the chosen benchmarks against the real PostgreSQL, Kafka and RabbitMQ, prints a table
 * and writes {@code results.json}. Every figure is the median of the repetitions with its spread, and a ratio against a
 * baseline measured in the same run. Run it through {@code bin/bench}, which builds what it needs first.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Outbox benchmarks: relay throughput and latency against raw clients, append and dedup"
                + " overhead, a long drain, two relays. Prints a table and writes results.json.")
public final class Bench implements Callable<Integer> {

    /** Every benchmark, in the order they run. */
    static final List<String> ALL =
            List.of("relay-kafka", "relay-rabbit", "latency", "append-overhead", "dedup-overhead", "drain", "scale");

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "BENCH",
            description = "Run only these (comma-separated): relay-kafka, relay-rabbit, latency, append-overhead,"
                    + " dedup-overhead, drain, scale, sweep.")
    private List<String> only = new ArrayList<>();

    @Option(names = "--quick", description = "One repetition and shorter phases: a check of the harness, ~5 min.")
    private boolean quick;

    @Option(names = "--reps", description = "Repetitions of each benchmark. Default 3, 1 with --quick.")
    private Integer reps;

    @Option(names = "--sweep", description = "Also sweep relay-kafka over batch sizes and lane counts.")
    private boolean sweep;

    @Option(names = "--profile", description = "Record each benchmark with JFR and print its hottest frames.")
    private boolean profile;

    @Option(names = "--backlog", description = "Backlog of the relay and scale benchmarks. Default ${DEFAULT-VALUE}.")
    private long backlog = 200_000;

    @Option(
            names = "--drain-messages",
            description = "Backlog of the drain benchmark: enough for several 10 s windows (1M drains in about 15 s)."
                    + " Default ${DEFAULT-VALUE}.")
    private long drainMessages = 3_000_000;

    @Option(names = "--payload-bytes", description = "Payload size. Default ${DEFAULT-VALUE}.")
    private int payloadBytes = 1024;

    @Option(names = "--lanes", description = "The store's lane count. Default ${DEFAULT-VALUE}, the store's default.")
    private int lanes = 64;

    @Option(names = "--batch-size", description = "The relay's batch size. Default ${DEFAULT-VALUE}, its default.")
    private int batchSize = 1000;

    @Option(
            names = "--concurrency",
            description = "The relay's rounds in progress at once. Default ${DEFAULT-VALUE}, its default.")
    private int concurrency = 2;

    @Option(
            names = "--kafka-producer",
            paramLabel = "KEY=VALUE",
            description = "A Kafka producer property for both the adapter and the plain producer, to try a setting"
                    + " (e.g. linger.ms=0). Repeatable.")
    private java.util.Map<String, String> kafkaProducer = new java.util.LinkedHashMap<>();

    @Option(
            names = "--relay-frequency",
            description =
                    "The relay's polling interval in ms (its `frequency`). Default ${DEFAULT-VALUE}, its default.")
    private long frequencyMillis = 100;

    @Option(
            names = "--notify-on-append",
            arity = "1",
            paramLabel = "true|false",
            description = "The store's notifyOnAppend in the relay and latency benchmarks (false: the relay relies on"
                    + " polling). Default ${DEFAULT-VALUE}, the store's default.")
    private boolean notifyOnAppend = false;

    @Option(
            names = "--scale-relays",
            description = "Relays the scale benchmark compares with one. Default ${DEFAULT-VALUE}.")
    private int scaleRelays = 2;

    @Option(
            names = "--cold-table",
            description = "Load backlogs into tables PostgreSQL has never analyzed, as in a new table's first minute.")
    private boolean coldTable;

    @Option(
            names = "--out",
            description = "Directory for results.json and profiles. Default ${DEFAULT-VALUE} (of the module).")
    private Path out = Path.of("target", "benchmarks");

    private String[] args = new String[0];

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        Bench bench = new Bench();
        bench.args = args.clone();
        System.exit(new CommandLine(bench).execute(args));
    }

    static void log(String format, Object... args) {
        System.out.printf(
                Locale.ROOT,
                "[%s] %s%n",
                LocalTime.now().truncatedTo(ChronoUnit.SECONDS),
                String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    @Override
    public Integer call() throws Exception {
        List<String> chosen = new ArrayList<>(only.isEmpty() ? ALL : only);
        if (sweep && !chosen.contains("sweep")) {
            chosen.add("sweep");
        }
        for (String name : chosen) {
            if (!ALL.contains(name) && !name.equals("sweep")) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--only: no benchmark " + name + "; choose from " + ALL + " or sweep");
            }
        }
        Settings s = new Settings(
                chosen,
                reps != null ? reps : quick ? 1 : 3,
                quick,
                backlog,
                drainMessages,
                Duration.ofSeconds(10),
                payloadBytes,
                1024,
                8,
                lanes,
                batchSize,
                concurrency,
                Duration.ofMillis(frequencyMillis),
                notifyOnAppend,
                8,
                4,
                scaleRelays,
                Duration.ofSeconds(quick ? 5 : 10),
                Duration.ofSeconds(quick ? 1 : 2),
                Duration.ofSeconds(quick ? 4 : 8),
                java.util.Map.copyOf(kafkaProducer),
                coldTable,
                profile,
                out);
        Report report = new Report();
        Instant started = Instant.now();
        report.run("started", started.toString());
        report.run("command", "bin/bench " + String.join(" ", args));
        report.run("benches", chosen);
        report.run("repetitions", s.reps());
        report.run("backlog", s.backlog());
        report.run("drain_messages", s.drainMessages());
        report.run("payload_bytes", s.payloadBytes());
        report.run("lanes", s.lanes());
        report.run("batch_size", s.batchSize());
        report.run("concurrency", s.concurrency());
        report.run("relay_frequency_ms", s.frequency().toMillis());
        report.run("notify_on_append", s.notifyOnAppend());
        report.run("kafka_producer_overrides", s.kafkaProducer());
        report.run("cold_table", s.coldTable());
        report.run("load_average_start", loadAverage());
        machine(report);
        log("benchmarks %s, %d repetition(s), load average %s", chosen, s.reps(), loadAverage());

        List<String> failed = new ArrayList<>();
        try (Env env = new Env(s, report)) {
            report.machine("postgresql", env.postgresVersion());
            for (String name : chosen) {
                Benchmark b = benchmark(name);
                int times = name.equals("sweep") ? 1 : s.reps();
                Profiler profiler = s.profile() ? Profiler.start(name, s.out()) : null;
                long t = System.nanoTime();
                try {
                    for (int rep = 0; rep < times; rep++) {
                        log("%s (%s): repetition %d of %d", name, b.description(), rep + 1, times);
                        b.run(env, rep);
                    }
                } catch (Exception e) {
                    failed.add(name);
                    report.note(name, "failed: " + e);
                    log("%s failed: %s", name, e);
                    e.printStackTrace(System.out);
                } finally {
                    if (profiler != null) {
                        profiler.close();
                    }
                }
                report.run("seconds." + name, Math.round((System.nanoTime() - t) / 1e9));
                if (name.startsWith("relay-") || name.equals("latency")) {
                    recordBrokerVersion(env, report, name);
                }
            }
        }
        report.run("finished", Instant.now().toString());
        report.run("seconds", Duration.between(started, Instant.now()).toSeconds());
        report.run("load_average_end", loadAverage());
        Path json = s.out().resolve("results.json");
        report.writeJson(json);
        report.writeMarkdown(s.out().resolve("results.md"));
        System.out.println();
        report.printTable(System.out);
        System.out.println();
        log(
                "results: %s (%d s; load average now %s)",
                json.toAbsolutePath(), Duration.between(started, Instant.now()).toSeconds(), loadAverage());
        return failed.isEmpty() ? 0 : 1;
    }

    private static void recordBrokerVersion(Env env, Report report, String name) {
        try {
            if (name.equals("relay-kafka") || name.equals("latency")) {
                report.machine("kafka", env.kafka().serverVersion());
            }
            if (name.equals("relay-rabbit") || name.equals("latency")) {
                report.machine("rabbitmq", env.rabbit().serverVersion());
            }
        } catch (RuntimeException e) {
            // Versions are for the report only.
        }
    }

    private static Benchmark benchmark(String name) {
        return switch (name) {
            case "relay-kafka" -> new RelayThroughput("kafka");
            case "relay-rabbit" -> new RelayThroughput("rabbit");
            case "latency" -> new Latency();
            case "append-overhead" -> new AppendOverhead();
            case "dedup-overhead" -> new DedupOverhead();
            case "drain" -> new Drain();
            case "scale" -> new Scale();
            case "sweep" -> new Sweep();
            default -> throw new IllegalArgumentException("no benchmark " + name);
        };
    }

    private static void machine(Report report) {
        report.machine("nproc", Runtime.getRuntime().availableProcessors());
        report.machine("memory", meminfo());
        report.machine("cpu", cpuModel());
        report.machine(
                "java",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vendor") + ")");
        report.machine("jvm_max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        report.machine("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String meminfo() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Reported as unknown.
        }
        return "unknown";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Reported as unknown.
        }
        return "unknown";
    }
}
