package dev.outbox.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of the report: a figure of the outbox and of its baseline, measured in each repetition, and their ratio per
 * repetition. Extras are per-message costs (CPU, statements, WAL) measured alongside. Not thread-safe: a benchmark
 * fills it on one thread.
 */
final class Figure {
    /** Process CPU time of the benchmark JVM per message (or transaction), the outbox side. */
    static final String CPU = "cpu_ms_per_msg";
    /** The same for the baseline. */
    static final String BASELINE_CPU = "baseline_cpu_ms_per_msg";
    /** PostgreSQL statements the relay (or handler) sent per message. */
    static final String STATEMENTS = "statements_per_msg";
    /** WAL written per message (or transaction), the outbox side; the server is shared, so approximate. */
    static final String WAL = "wal_bytes_per_msg";
    /** WAL per transaction of the baseline. */
    static final String BASELINE_WAL = "baseline_wal_bytes_per_msg";

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

    Figure(String bench, String metric, String unit, String baselineName, Target target) {
        this.bench = bench;
        this.metric = metric;
        this.unit = unit;
        this.baselineName = baselineName;
        this.target = target;
    }

    /** Adds one repetition; the ratio is {@code outbox / baseline}. */
    Figure add(double outboxValue, double baselineValue) {
        outbox.add(outboxValue);
        baseline.add(baselineValue);
        ratio.add(baselineValue == 0 ? Double.NaN : outboxValue / baselineValue);
        return this;
    }

    /** Adds one repetition's per-message cost. */
    Figure extra(String name, double value) {
        extras.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        return this;
    }

    Figure note(String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
        return this;
    }

    String bench() {
        return bench;
    }

    String metric() {
        return metric;
    }

    String unit() {
        return unit;
    }

    String baselineName() {
        return baselineName;
    }

    Target target() {
        return target;
    }

    Stats outbox() {
        return Stats.of(outbox);
    }

    Stats baseline() {
        return Stats.of(baseline);
    }

    Stats ratio() {
        return Stats.of(ratio);
    }

    Stats extra(String name) {
        return Stats.of(extras.getOrDefault(name, List.of()));
    }

    List<Double> outboxValues() {
        return List.copyOf(outbox);
    }

    List<Double> baselineValues() {
        return List.copyOf(baseline);
    }

    List<Double> ratioValues() {
        return List.copyOf(ratio);
    }

    Map<String, List<Double>> extras() {
        return extras;
    }

    List<String> notes() {
        return List.copyOf(notes);
    }

    Boolean met() {
        return target.met(outbox(), ratio());
    }
}
