package dev.outbox.benchmarks.harness;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The benchmark command: runs the chosen scenarios, prints a table and writes {@code results.json}. Every figure is the
 * median of the repetitions with its spread, and a ratio against a baseline measured in the same run. It knows the
 * scenarios only as the list it is given, and the services they use only as what {@link Opener} opens.
 *
 * @param <E> the services the scenarios run against
 */
@CommandLine.Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Outbox benchmarks: relay throughput and latency against plain clients, a hand-written relay and"
                + " Debezium; append and dedup overhead; a long drain; a held xmin horizon; two relays. Prints a table"
                + " and writes results.json.")
public final class Command<E extends Environment> implements Callable<Integer> {

    /** Opens the services of a run, once, before the first scenario; they are closed after the last. */
    @FunctionalInterface
    public interface Opener<E> {

        /** Opens them; they may record facts (server versions) in {@code report}. */
        E open(Settings settings, Report report) throws Exception;
    }

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "BENCH",
            description = "Run only these (comma-separated, in the order given); the benchmarks are listed below.")
    private List<String> only = new ArrayList<>();

    @Option(names = "--quick", description = "One repetition and shorter phases: a check of the harness.")
    private boolean quick;

    @Option(names = "--reps", description = "Repetitions of each benchmark. Default 3, 1 with --quick.")
    private Integer reps;

    @Option(
            names = "--sweep",
            description = "Also run the benchmarks that run only when asked for (the sweep of relay-kafka over batch"
                    + " sizes, lanes and concurrency).")
    private boolean sweep;

    @Option(names = "--profile", description = "Record each benchmark with JFR and print its hottest frames.")
    private boolean profile;

    @Option(
            names = "--backlog",
            description = "Backlog of the relay, scale and debezium benchmarks. Default ${DEFAULT-VALUE}.")
    private long backlog = 200_000;

    @Option(
            names = "--drain-messages",
            description = "Backlog of the drain benchmark: enough for several 10 s windows (1M drains in about 15 s)."
                    + " Default ${DEFAULT-VALUE}.")
    private long drainMessages = 3_000_000;

    @Option(
            names = "--horizon-messages",
            description = "Backlog of each of the three drains of the held-horizon benchmark. Default 2000000, 300000"
                    + " with --quick.")
    private Long horizonMessages;

    @Option(
            names = "--steady-seconds",
            description = "Length of each open-loop part of held-horizon (without, then with the horizon held)."
                    + " Default 120, 15 with --quick.")
    private Long steadySeconds;

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
    private Map<String, String> kafkaProducer = new LinkedHashMap<>();

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
            description = "Load every backlog into tables PostgreSQL has never analyzed, as in a new table's first"
                    + " minute (held-horizon and debezium measure a cold table in any case).")
    private boolean coldTable;

    @Option(
            names = "--out",
            description = "Directory for results.json and profiles. Default ${DEFAULT-VALUE} (of the module).")
    private Path out = Path.of("target", "benchmarks");

    /** The width of the usage message, picocli's default. */
    private static final int WIDTH = 80;

    private final List<Scenario<E>> scenarios;
    private final Opener<E> opener;
    private final String[] args;

    private Command(List<? extends Scenario<E>> scenarios, Opener<E> opener, String[] args) {
        this.scenarios = List.copyOf(scenarios);
        this.opener = opener;
        this.args = args.clone();
    }

    /**
     * Runs the command line against {@code scenarios} (in the order given, which is the order they run in).
     *
     * @return the exit status: 0 when every chosen scenario ran, 1 when one failed, 2 for a bad command line
     */
    public static <E extends Environment> int execute(
            String[] args, List<? extends Scenario<E>> scenarios, Opener<E> opener) {
        return commandLine(args, scenarios, opener).execute(args);
    }

    /**
     * The settings a command line gives, without running anything: for tests and tools that use the fixtures.
     *
     * @throws CommandLine.ParameterException if the command line is wrong
     */
    public static Settings settings(String... args) {
        Command<Environment> command = new Command<>(List.of(), (s, r) -> () -> {}, args);
        new CommandLine(command).parseArgs(args);
        return command.settings(List.of());
    }

    /** The command line, with the list of scenarios in its usage. */
    static <E extends Environment> CommandLine commandLine(
            String[] args, List<? extends Scenario<E>> scenarios, Opener<E> opener) {
        Command<E> command = new Command<>(scenarios, opener, args);
        CommandLine line = new CommandLine(command);
        List<String> footer = new ArrayList<>();
        footer.add("");
        footer.add("Benchmarks (--only), in the order they run:");
        for (Scenario<E> s : scenarios) {
            String text = (s.description() + (s.onlyWhenNamed() ? " (only when asked for)" : "")).replace("%", "%%");
            footer.addAll(wrap(String.format(Locale.ROOT, "  %-16s ", s.name()), text));
        }
        line.getCommandSpec().usageMessage().footer(footer.toArray(String[]::new));
        return line;
    }

    /** {@code text} after {@code head}, in lines of at most {@link #WIDTH} with continuations under its start. */
    static List<String> wrap(String head, String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder(head);
        for (String word : text.split(" ")) {
            if (line.length() > head.length() && line.length() + 1 + word.length() > WIDTH) {
                lines.add(line.toString());
                line = new StringBuilder(" ".repeat(head.length()));
            } else if (line.length() > head.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    @Override
    public Integer call() throws Exception {
        List<Scenario<E>> chosen = choose();
        Settings s = settings(chosen.stream().map(Scenario::name).toList());
        Report report = new Report();
        Instant started = Instant.now();
        report.run("started", started.toString());
        report.run("command", "bin/bench " + String.join(" ", args));
        report.run("benches", s.benches());
        report.run("repetitions", s.reps());
        report.run("backlog", s.backlog());
        report.run("drain_messages", s.drainMessages());
        report.run("horizon_messages", s.horizonMessages());
        report.run("steady_seconds", s.steadyPhase().toSeconds());
        report.run("payload_bytes", s.payloadBytes());
        report.run("lanes", s.lanes());
        report.run("batch_size", s.batchSize());
        report.run("concurrency", s.concurrency());
        report.run("relay_frequency_ms", s.frequency().toMillis());
        report.run("notify_on_append", s.notifyOnAppend());
        report.run("kafka_producer_overrides", s.kafkaProducer());
        report.run("cold_table", s.coldTable());
        report.run("load_average_start", Machine.loadAverage());
        Machine.describe(report);
        Log.info("benchmarks %s, %d repetition(s), load average %s", s.benches(), s.reps(), Machine.loadAverage());

        List<String> failed = new ArrayList<>();
        try (E env = opener.open(s, report)) {
            for (Scenario<E> b : chosen) {
                String name = b.name();
                int times = b.repeated() ? s.reps() : 1;
                Profiler profiler = s.profile() ? Profiler.start(name, s.out()) : null;
                long t = System.nanoTime();
                try {
                    for (int rep = 0; rep < times; rep++) {
                        Log.info("%s (%s): repetition %d of %d", name, b.description(), rep + 1, times);
                        b.run(env, rep);
                    }
                } catch (Exception e) {
                    failed.add(name);
                    report.note(name, "failed: " + e);
                    Log.info("%s failed: %s", name, e);
                    e.printStackTrace(System.out);
                } finally {
                    if (profiler != null) {
                        profiler.close();
                    }
                }
                report.run("seconds." + name, Math.round((System.nanoTime() - t) / 1e9));
            }
        }
        report.run("finished", Instant.now().toString());
        report.run("seconds", Duration.between(started, Instant.now()).toSeconds());
        report.run("load_average_end", Machine.loadAverage());
        Path json = s.out().resolve("results.json");
        report.writeJson(json);
        report.writeMarkdown(s.out().resolve("results.md"));
        System.out.println();
        report.printTable(System.out);
        System.out.println();
        Log.info(
                "results: %s (%d s; load average now %s)",
                json.toAbsolutePath(), Duration.between(started, Instant.now()).toSeconds(), Machine.loadAverage());
        return failed.isEmpty() ? 0 : 1;
    }

    private Settings settings(List<String> benches) {
        return new Settings(
                benches,
                reps != null ? reps : quick ? 1 : 3,
                quick,
                backlog,
                drainMessages,
                horizonMessages != null ? horizonMessages : quick ? 300_000 : 2_000_000,
                Duration.ofSeconds(steadySeconds != null ? steadySeconds : quick ? 15 : 120),
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
                Map.copyOf(kafkaProducer),
                coldTable,
                profile,
                out);
    }

    /** The scenarios to run: those of {@code --only} in its order, or all but the opt-in ones; {@code --sweep} adds those. */
    private List<Scenario<E>> choose() {
        List<Scenario<E>> chosen = new ArrayList<>();
        for (String name : only) {
            Scenario<E> sc = scenarios.stream()
                    .filter(x -> x.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new CommandLine.ParameterException(
                            new CommandLine(this),
                            "--only: no benchmark " + name + "; choose from "
                                    + scenarios.stream().map(Scenario::name).toList()));
            if (!chosen.contains(sc)) {
                chosen.add(sc);
            }
        }
        for (Scenario<E> sc : scenarios) {
            boolean byDefault = only.isEmpty() && !sc.onlyWhenNamed();
            if ((byDefault || (sweep && sc.onlyWhenNamed())) && !chosen.contains(sc)) {
                chosen.add(sc);
            }
        }
        return chosen;
    }
}
