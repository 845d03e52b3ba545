package dev.outbox.benchmarks;

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

/** Everything a run measured: the figures, the sweep, notes and the machine; printed as a table and as JSON. */
final class Report {
    private final List<Figure> figures = new ArrayList<>();
    private final List<Map<String, Object>> sweep = new ArrayList<>();
    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final Map<String, Object> run = new LinkedHashMap<>();
    private final Map<String, List<String>> notes = new LinkedHashMap<>();
    private final Map<String, Object> details = new LinkedHashMap<>();

    synchronized Figure figure(String bench, String metric, String unit, String baselineName, Target target) {
        for (Figure f : figures) {
            if (f.bench().equals(bench) && f.metric().equals(metric)) {
                return f;
            }
        }
        Figure f = new Figure(bench, metric, unit, baselineName, target);
        figures.add(f);
        return f;
    }

    synchronized List<Figure> figures() {
        return List.copyOf(figures);
    }

    synchronized Figure find(String bench, String metric) {
        return figures.stream()
                .filter(f -> f.bench().equals(bench) && f.metric().equals(metric))
                .findFirst()
                .orElse(null);
    }

    synchronized void sweepRow(Map<String, Object> row) {
        sweep.add(new LinkedHashMap<>(row));
    }

    synchronized void machine(String key, Object value) {
        machine.put(key, value);
    }

    synchronized void run(String key, Object value) {
        run.put(key, value);
    }

    synchronized void note(String bench, String text) {
        List<String> list = notes.computeIfAbsent(bench, k -> new ArrayList<>());
        if (!list.contains(text)) {
            list.add(text);
        }
    }

    /** Free-form measurements of a bench (per-window rates, per-repetition timings) for the JSON only. */
    synchronized void detail(String key, Object value) {
        details.put(key, value);
    }

    // --- the table ---------------------------------------------------------------------------------------------

    synchronized void printTable(PrintStream out) {
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
    synchronized void writeMarkdown(Path file) {
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
        rows.add(new String[] {
            "bench",
            "metric",
            "outbox",
            "baseline",
            "ratio",
            "target",
            "met",
            "CPU ms/msg (outbox / base)",
            "stmts/msg",
            "WAL B/msg"
        });
        for (Figure f : figures) {
            Boolean met = f.met();
            String cpu = f.extra(Figure.CPU).present()
                    ? Format.stats(f.extra(Figure.CPU)) + " / " + Format.stats(f.extra(Figure.BASELINE_CPU))
                    : "";
            rows.add(new String[] {
                f.bench(),
                f.metric() + " [" + f.unit() + "]",
                Format.stats(f.outbox()),
                f.baselineName().isEmpty() ? "–" : f.baselineName() + ": " + Format.stats(f.baseline()),
                Format.stats(f.ratio()),
                f.target().text(),
                met == null ? "" : met ? "yes" : "NO",
                cpu,
                f.extra(Figure.STATEMENTS).present() ? Format.stats(f.extra(Figure.STATEMENTS)) : "",
                f.extra(Figure.WAL).present() ? Format.stats(f.extra(Figure.WAL)) : ""
            });
        }
        return rows;
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    // --- JSON --------------------------------------------------------------------------------------------------

    synchronized void writeJson(Path file) {
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
