package dev.outbox.metrics.micrometer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a PromQL expression reads: the metrics it selects, each with its label matchers, and the labels it groups or
 * matches on ({@code by}, {@code without}, {@code on}, {@code ignoring}, {@code group_left}, {@code group_right}). Enough
 * of PromQL for dashboards and alert rules, not a full parser: it tokenizes, skips range and subquery brackets,
 * numbers and Grafana variables ({@code $job}, {@code $__rate_interval}), and takes every name that is neither a
 * keyword, nor an aggregation, nor followed by an opening parenthesis (a function) for a metric.
 */
final class PromQl {
    private PromQl() {}

    /** A label matcher: {@code label op "value"}. */
    record Matcher(String label, String op, String value) {
        /** An equality with a literal value (no Grafana variable): the value itself must exist. */
        boolean literal() {
            return op.equals("=") && !value.contains("$");
        }
    }

    /** One selected metric and its matchers. */
    record Selector(String metric, List<Matcher> matchers) {}

    /** Everything an expression reads. */
    record Reads(List<Selector> selectors, Set<String> labels) {}

    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2");
    private static final Set<String> AGGREGATIONS = Set.of(
            "sum",
            "min",
            "max",
            "avg",
            "group",
            "stddev",
            "stdvar",
            "count",
            "count_values",
            "bottomk",
            "topk",
            "quantile",
            "limitk",
            "limit_ratio");

    private enum Kind {
        NAME,
        STRING,
        OPERATOR,
        PUNCTUATION,
        NUMBER,
        VARIABLE
    }

    private record Token(Kind kind, String text) {
        boolean is(String punctuation) {
            return (kind == Kind.PUNCTUATION || kind == Kind.OPERATOR) && text.equals(punctuation);
        }
    }

    /**
     * Reads a PromQL expression.
     *
     * @throws IllegalArgumentException for what this reader does not understand (so a check never passes by
     *     misreading)
     */
    static Reads read(String expression) {
        List<Token> tokens = tokenize(expression);
        List<Selector> selectors = new ArrayList<>();
        Set<String> labels = new LinkedHashSet<>();
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.is("{")) {
                throw new IllegalArgumentException("a selector without a metric name: " + expression);
            }
            if (t.kind() != Kind.NAME) {
                continue;
            }
            String name = t.text();
            boolean call = i + 1 < tokens.size() && tokens.get(i + 1).is("(");
            if (GROUPING.contains(name)) {
                if (call) {
                    i = names(tokens, i + 2, labels, expression);
                }
                continue;
            }
            if (KEYWORDS.contains(name) || AGGREGATIONS.contains(name) || call) {
                continue;
            }
            List<Matcher> matchers = new ArrayList<>();
            if (i + 1 < tokens.size() && tokens.get(i + 1).is("{")) {
                i = matchers(tokens, i + 2, matchers, expression);
            }
            selectors.add(new Selector(name, List.copyOf(matchers)));
        }
        return new Reads(List.copyOf(selectors), Set.copyOf(labels));
    }

    /**
     * Reads the query of a Grafana Prometheus variable: {@code label_values(label)} or {@code
     * label_values(selector, label)}; anything else is read as PromQL.
     */
    static Reads readVariable(String query) {
        String q = query.strip();
        if (!q.startsWith("label_values(") || !q.endsWith(")")) {
            return read(q);
        }
        String inside = q.substring("label_values(".length(), q.length() - 1);
        int comma = inside.lastIndexOf(',');
        String label = inside.substring(comma + 1).strip();
        if (comma < 0) {
            return new Reads(List.of(), Set.of(label));
        }
        Reads selector = read(inside.substring(0, comma));
        return new Reads(selector.selectors(), Set.of(label));
    }

    private static int names(List<Token> tokens, int from, Set<String> into, String expression) {
        for (int i = from; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.is(")")) {
                return i;
            }
            if (t.kind() == Kind.NAME) {
                into.add(t.text());
            } else if (!t.is(",")) {
                throw new IllegalArgumentException("unexpected " + t.text() + " in a label list: " + expression);
            }
        }
        throw new IllegalArgumentException("unclosed label list: " + expression);
    }

    private static int matchers(List<Token> tokens, int from, List<Matcher> into, String expression) {
        int i = from;
        while (i < tokens.size()) {
            if (tokens.get(i).is("}")) {
                return i;
            }
            if (tokens.get(i).is(",")) {
                i++;
                continue;
            }
            if (i + 2 >= tokens.size()
                    || tokens.get(i).kind() != Kind.NAME
                    || tokens.get(i + 1).kind() != Kind.OPERATOR
                    || tokens.get(i + 2).kind() != Kind.STRING) {
                throw new IllegalArgumentException(
                        "unreadable label matcher at " + tokens.get(i).text() + ": " + expression);
            }
            into.add(new Matcher(
                    tokens.get(i).text(),
                    tokens.get(i + 1).text(),
                    tokens.get(i + 2).text()));
            i += 3;
        }
        throw new IllegalArgumentException("unclosed selector: " + expression);
    }

    private static List<Token> tokenize(String s) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '"' || c == '\'' || c == '`') {
                StringBuilder value = new StringBuilder();
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c) {
                    if (s.charAt(j) == '\\' && c != '`' && j + 1 < s.length()) {
                        j++;
                    }
                    value.append(s.charAt(j));
                    j++;
                }
                if (j >= s.length()) {
                    throw new IllegalArgumentException("unclosed string: " + s);
                }
                tokens.add(new Token(Kind.STRING, value.toString()));
                i = j + 1;
            } else if (c == '[') {
                int close = s.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed range: " + s);
                }
                i = close + 1; // a range or subquery: durations and variables, nothing to check
            } else if (c == '$') {
                int j = i + 1;
                if (j < s.length() && s.charAt(j) == '{') {
                    j = s.indexOf('}', j) + 1;
                } else {
                    while (j < s.length() && isNamePart(s.charAt(j))) {
                        j++;
                    }
                }
                tokens.add(new Token(Kind.VARIABLE, s.substring(i, j)));
                i = j;
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int j = i + 1;
                while (j < s.length() && isNamePart(s.charAt(j))) {
                    j++;
                }
                tokens.add(new Token(Kind.NAME, s.substring(i, j)));
                i = j;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                int j = i + 1;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '.')) {
                    j++;
                }
                tokens.add(new Token(Kind.NUMBER, s.substring(i, j)));
                i = j;
            } else if ("=!<>~".indexOf(c) >= 0) {
                int j = i + 1;
                if (j < s.length() && "=~".indexOf(s.charAt(j)) >= 0) {
                    j++;
                }
                tokens.add(new Token(Kind.OPERATOR, s.substring(i, j)));
                i = j;
            } else {
                tokens.add(new Token(Kind.PUNCTUATION, String.valueOf(c)));
                i++;
            }
        }
        return tokens;
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }
}
