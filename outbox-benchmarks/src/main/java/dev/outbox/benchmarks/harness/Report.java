package dev.outbox.benchmarks.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a run measured: the figures, the sweep, notes and the machine; printed as a table and as JSON.
 * Thread-safe.
 */
public final class Report {
    private final List<Figure> figures = new ArrayList<>();
    private final List<Map<String, Object>> sweep = new ArrayList<>();
    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final Map<String, Object> run = new LinkedHashMap<>();
    private final Map<String, List<String>> notes = new LinkedHashMap<>();
    private final Map<String, Object> details = new LinkedHashMap<>();

    /**
     * The figure {@code metric} of {@code bench}, made on first use: repetitions add to the same figure.
     *
     * @param unit the unit of the outbox and baseline figures
     * @param baselineName what the outbox is compared with, empty for nothing
     * @param target what the figure should reach
     */
    public synchronized Figure figure(String bench, String metric, String unit, String baselineName, Target target) {
        for (Figure f : figures) {
            if (f.bench().equals(bench) && f.metric().equals(metric)) {
                return f;
            }
        }
        Figure f = new Figure(bench, metric, unit, baselineName, target);
        figures.add(f);
        return f;
    }

    /** The figures so far, in the order they were made. */
    public synchronized List<Figure> figures() {
        return List.copyOf(figures);
    }

    /** The figure {@code metric} of {@code bench}, or null. */
    public synchronized Figure find(String bench, String metric) {
        return figures.stream()
                .filter(f -> f.bench().equals(bench) && f.metric().equals(metric))
                .findFirst()
                .orElse(null);
    }

    /** Adds a row of a sweep (one run each: lanes, batch size, rate, costs). */
    public synchronized void sweepRow(Map<String, Object> row) {
        sweep.add(new LinkedHashMap<>(row));
    }

    /** A fact about the machine or a server (versions, sizes). */
    public synchronized void machine(String key, Object value) {
        machine.put(key, value);
    }

    /** A fact about the run (its settings, when it started). */
    public synchronized void run(String key, Object value) {
        run.put(key, value);
    }

    /** A note about a benchmark, printed under the table, once. */
    public synchronized void note(String bench, String text) {
        List<String> list = notes.computeIfAbsent(bench, k -> new ArrayList<>());
        if (!list.contains(text)) {
            list.add(text);
        }
    }

    /** Free-form measurements of a bench (per-window rates, per-repetition timings) for the JSON only. */
    public synchronized void detail(String key, Object value) {
        details.put(key, value);
    }

    // --- the table ---------------------------------------------------------------------------------------------

    /** Prints the table, the sweep and the notes. */
    public synchronized void printTable(PrintStream out) {
        List<String[]> rows = rows();
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("|");
            for (int i = 0; i < width.length; i++) {
                line.append(' ').append(pad(rows.get(r)[i], width[i])).append(" |");
            }
            out.println(line);
            if (r == 0) {
                StringBuilder rule = new StringBuilder("|");
                for (int w : width) {
                    rule.append("-".repeat(w + 2)).append('|');
                }
                out.println(rule);
            }
        }
        if (!sweep.isEmpty()) {
            out.println();
            out.println("relay-kafka sweep (one run each, msgs/s):");
            for (Map<String, Object> row : sweep) {
                out.println("  " + row);
            }
        }
        notes.forEach((bench, list) -> list.forEach(n -> out.println("note [" + bench + "]: " + n)));
    }

    /** The table as Markdown, with the sweep, for the documentation. */
    public synchronized void writeMarkdown(Path file) {
        StringBuilder md = new StringBuilder();
        List<String[]> rows = rows();
        for (int r = 0; r < rows.size(); r++) {
            md.append("| ").append(String.join(" | ", rows.get(r))).append(" |\n");
            if (r == 0) {
                md.append("|").append("---|".repeat(rows.get(0).length)).append('\n');
            }
        }
        if (!sweep.isEmpty()) {
            md.append(
                    "\n| lanes | batch size | msg/s | CPU ms/msg | stmts/msg | WAL B/msg |\n|---|---|---|---|---|---|\n");
            for (Map<String, Object> row : sweep) {
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %s | %s | %s |\n",
                        row.get("lanes"),
                        row.get("batch_size"),
                        row.get("msgs_per_s"),
                        row.get("cpu_ms_per_msg"),
                        row.get("statements_per_msg"),
                        row.get("wal_bytes_per_msg")));
            }
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, md);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    private List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        // The server's CPU is measured by few benchmarks: its column shows only when one did.
        boolean serverCpu =
                figures.stream().anyMatch(f -> f.extra(Figure.PG_CPU).present());
        List<String> header = new ArrayList<>(List.of(
                "bench",
                "metric",
                "outbox",
                "baseline",
                "ratio",
                "target",
                "met",
                "CPU ms/msg (outbox / base)",
                "stmts/msg",
                "WAL B/msg"));
        if (serverCpu) {
            header.add("PG CPU ms/msg (outbox / base)");
        }
        rows.add(header.toArray(String[]::new));
        for (Figure f : figures) {
            Boolean met = f.met();
            List<String> row = new ArrayList<>(List.of(
                    f.bench(),
                    f.metric() + " [" + f.unit() + "]",
                    Format.stats(f.outbox()),
                    f.baselineName().isEmpty() ? "–" : f.baselineName() + ": " + Format.stats(f.baseline()),
                    Format.stats(f.ratio()),
                    f.target().text(),
                    met == null ? "" : met ? "yes" : "NO",
                    pair(f, Figure.CPU, Figure.BASELINE_CPU),
                    f.extra(Figure.STATEMENTS).present() ? Format.stats(f.extra(Figure.STATEMENTS)) : "",
                    f.extra(Figure.WAL).present() ? Format.stats(f.extra(Figure.WAL)) : ""));
            if (serverCpu) {
                row.add(pair(f, Figure.PG_CPU, Figure.BASELINE_PG_CPU));
            }
            rows.add(row.toArray(String[]::new));
        }
        return rows;
    }

    private static String pair(Figure f, String outbox, String baseline) {
        return f.extra(outbox).present() ? Format.stats(f.extra(outbox)) + " / " + Format.stats(f.extra(baseline)) : "";
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    // --- JSON --------------------------------------------------------------------------------------------------

    /** Writes everything as JSON, every repetition included. */
    public synchronized void writeJson(Path file) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.set("machine", mapper.valueToTree(machine));
        root.set("run", mapper.valueToTree(run));
        ArrayNode rows = root.putArray("figures");
        for (Figure f : figures) {
            ObjectNode n = rows.addObject();
            n.put("bench", f.bench());
            n.put("metric", f.metric());
            n.put("unit", f.unit());
            n.put("baseline", f.baselineName());
            n.set("outbox", stats(mapper, f.outbox(), f.outboxValues()));
            n.set("baseline_value", stats(mapper, f.baseline(), f.baselineValues()));
            n.set("ratio", stats(mapper, f.ratio(), f.ratioValues()));
            n.put("target", f.target().text());
            Boolean met = f.met();
            if (met == null) {
                n.putNull("met");
            } else {
                n.put("met", met);
            }
            ObjectNode extras = n.putObject("per_message");
            f.extras().forEach((k, v) -> extras.set(k, stats(mapper, Stats.of(v), v)));
            ArrayNode fnotes = n.putArray("notes");
            f.notes().forEach(fnotes::add);
        }
        root.set("sweep", mapper.valueToTree(sweep));
        root.set("notes", mapper.valueToTree(notes));
        root.set("details", mapper.valueToTree(details));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            mapper.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    private static ObjectNode stats(ObjectMapper mapper, Stats s, List<Double> values) {
        ObjectNode n = mapper.createObjectNode();
        putNumber(n, "median", s.median());
        putNumber(n, "min", s.min());
        putNumber(n, "max", s.max());
        ArrayNode reps = n.putArray("repetitions");
        for (Double v : values) {
            if (v == null || v.isNaN() || v.isInfinite()) {
                reps.addNull();
            } else {
                reps.add(v);
            }
        }
        return n;
    }

    private static void putNumber(ObjectNode n, String name, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            n.putNull(name);
        } else {
            n.put(name, v);
        }
    }
}
