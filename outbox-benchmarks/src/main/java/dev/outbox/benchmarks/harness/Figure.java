package dev.outbox.benchmarks.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of the report: a figure of the outbox and of its baseline, measured in each repetition, and their ratio per
 * repetition. Extras are per-message costs (CPU, statements, WAL) measured alongside. Not thread-safe: a benchmark
 * fills it on one thread.
 */
public final class Figure {
    /** Process CPU time of the benchmark JVM per message (or transaction), the outbox side. */
    public static final String CPU = "cpu_ms_per_msg";
    /** The same for the baseline. */
    public static final String BASELINE_CPU = "baseline_cpu_ms_per_msg";
    /** PostgreSQL statements the relay (or handler) sent per message. */
    public static final String STATEMENTS = "statements_per_msg";
    /** WAL written per message (or transaction), the outbox side; the server is shared, so approximate. */
    public static final String WAL = "wal_bytes_per_msg";
    /** WAL per transaction of the baseline. */
    public static final String BASELINE_WAL = "baseline_wal_bytes_per_msg";
    /** CPU time of the PostgreSQL server's processes per message, the outbox side. */
    public static final String PG_CPU = "pg_cpu_ms_per_msg";
    /** The same for the baseline. */
    public static final String BASELINE_PG_CPU = "baseline_pg_cpu_ms_per_msg";

    private final String bench;
    private final String metric;
    private final String unit;
    private final String baselineName;
    private final Target target;
    private final List<Double> outbox = new ArrayList<>();
    private final List<Double> baseline = new ArrayList<>();
    private final List<Double> ratio = new ArrayList<>();
    private final Map<String, List<Double>> extras = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    /** A figure with no repetitions yet; a report makes them ({@link Report#figure}). */
    Figure(String bench, String metric, String unit, String baselineName, Target target) {
        this.bench = bench;
        this.metric = metric;
        this.unit = unit;
        this.baselineName = baselineName;
        this.target = target;
    }

    /** Adds one repetition; the ratio is {@code outbox / baseline}. */
    public Figure add(double outboxValue, double baselineValue) {
        outbox.add(outboxValue);
        baseline.add(baselineValue);
        ratio.add(baselineValue == 0 ? Double.NaN : outboxValue / baselineValue);
        return this;
    }

    /** Adds one repetition's per-message cost. */
    public Figure extra(String name, double value) {
        extras.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        return this;
    }

    /** Adds a note, once. */
    public Figure note(String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
        return this;
    }

    /** The benchmark it belongs to. */
    public String bench() {
        return bench;
    }

    /** What it measures. */
    public String metric() {
        return metric;
    }

    /** The unit of the outbox and baseline figures. */
    public String unit() {
        return unit;
    }

    /** What it is compared with; empty when nothing. */
    public String baselineName() {
        return baselineName;
    }

    /** What it should reach. */
    public Target target() {
        return target;
    }

    /** The outbox's figure over the repetitions. */
    public Stats outbox() {
        return Stats.of(outbox);
    }

    /** The baseline's figure over the repetitions. */
    public Stats baseline() {
        return Stats.of(baseline);
    }

    /** The ratio over the repetitions. */
    public Stats ratio() {
        return Stats.of(ratio);
    }

    /** A per-message cost over the repetitions. */
    public Stats extra(String name) {
        return Stats.of(extras.getOrDefault(name, List.of()));
    }

    /** The outbox's figure per repetition. */
    public List<Double> outboxValues() {
        return List.copyOf(outbox);
    }

    /** The baseline's figure per repetition. */
    public List<Double> baselineValues() {
        return List.copyOf(baseline);
    }

    /** The ratio per repetition. */
    public List<Double> ratioValues() {
        return List.copyOf(ratio);
    }

    /** The per-message costs, by name, per repetition. */
    Map<String, List<Double>> extras() {
        return extras;
    }

    /** Its notes. */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** Whether the target is met; null when there is none or nothing was measured. */
    public Boolean met() {
        return target.met(outbox(), ratio());
    }
}
