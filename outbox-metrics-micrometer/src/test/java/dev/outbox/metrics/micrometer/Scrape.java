package dev.outbox.metrics.micrometer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The series of a scrape in the Prometheus text format, and the check that a query reads only metrics, labels and
 * label values the scrape has.
 */
final class Scrape {
    /** Labels Prometheus adds to every series of a target when it scrapes it: never in the application's output. */
    static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    private final Map<String, List<Map<String, String>>> series;

    private Scrape(Map<String, List<Map<String, String>>> series) {
        this.series = series;
    }

    /** Parses {@code name{label="value",...} value} lines; comments and blank lines are skipped. */
    static Scrape parse(String text) {
        Map<String, List<Map<String, String>>> series = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int i = 0;
            while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
                i++;
            }
            String name = line.substring(0, i);
            Map<String, String> labels = new LinkedHashMap<>();
            if (i < line.length() && line.charAt(i) == '{') {
                i++;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String label = line.substring(i, eq).strip();
                    StringBuilder value = new StringBuilder();
                    int j = eq + 2; // past ="
                    while (line.charAt(j) != '"') {
                        if (line.charAt(j) == '\\') {
                            j++;
                            value.append(line.charAt(j) == 'n' ? '\n' : line.charAt(j));
                        } else {
                            value.append(line.charAt(j));
                        }
                        j++;
                    }
                    labels.put(label, value.toString());
                    i = j + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                }
            }
            series.computeIfAbsent(name, n -> new ArrayList<>()).add(labels);
        }
        return new Scrape(series);
    }

    /** Every metric name in the scrape. */
    Set<String> names() {
        return new TreeSet<>(series.keySet());
    }

    /** The label sets of every series of {@code metric}; empty if it is not in the scrape. */
    List<Map<String, String>> series(String metric) {
        return series.getOrDefault(metric, List.of());
    }

    /**
     * What {@code reads} asks for that the scrape lacks, each problem prefixed with {@code where}: a metric not in it, a
     * label no series of the metric has, a literal value ({@code label="value"}) no series has, a grouping label none
     * of the selected metrics has. Labels Prometheus adds at scrape ({@link #TARGET_LABELS}) are taken as present.
     */
    List<String> problems(String where, PromQl.Reads reads) {
        List<String> problems = new ArrayList<>();
        for (PromQl.Selector s : reads.selectors()) {
            List<Map<String, String>> of = series(s.metric());
            if (of.isEmpty()) {
                problems.add(where + ": metric " + s.metric() + " is not in the scrape");
                continue;
            }
            for (PromQl.Matcher m : s.matchers()) {
                if (TARGET_LABELS.contains(m.label())) {
                    continue;
                }
                if (of.stream().noneMatch(l -> l.containsKey(m.label()))) {
                    problems.add(where + ": metric " + s.metric() + " has no label " + m.label());
                } else if (m.literal() && of.stream().noneMatch(l -> m.value().equals(l.get(m.label())))) {
                    problems.add(where + ": metric " + s.metric() + " has no series with " + m.label() + "=\""
                            + m.value() + "\"");
                }
            }
        }
        for (String label : reads.labels()) {
            if (TARGET_LABELS.contains(label)) {
                continue;
            }
            boolean found = reads.selectors().stream()
                    .flatMap(s -> series(s.metric()).stream())
                    .anyMatch(l -> l.containsKey(label));
            if (!found) {
                problems.add(where + ": label " + label + " is on none of the metrics "
                        + reads.selectors().stream()
                                .map(PromQl.Selector::metric)
                                .toList());
            }
        }
        return problems;
    }
}
