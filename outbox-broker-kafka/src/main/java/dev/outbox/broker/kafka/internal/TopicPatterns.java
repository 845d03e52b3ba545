package dev.outbox.broker.kafka.internal;

import dev.outbox.InvalidConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Kafka topic names, and the translation of the RabbitMQ-style patterns of a {@link dev.outbox.SubscriptionSpec} into
 * a regular expression for a pattern subscription: words are separated by dots, {@code *} matches exactly one word and
 * {@code #} zero or more, so {@code Warehouse.Events.#} matches {@code Warehouse.Events} and {@code
 * Warehouse.Events.ProductAdded}.
 */
public final class TopicPatterns {
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final String WORD = "[^.]+";

    private TopicPatterns() {}

    /** Why {@code topic} is not a legal Kafka topic name, or empty if it is. */
    public static Optional<String> invalidTopic(String topic) {
        if (topic == null || !LEGAL.matcher(topic).matches()) {
            return Optional.of(
                    "'" + topic + "' is not a legal Kafka topic name: 1 to 249 of a-z, A-Z, 0-9, '.', '_', '-'");
        }
        if (topic.equals(".") || topic.equals("..")) {
            return Optional.of("'" + topic + "' is not a legal Kafka topic name");
        }
        return Optional.empty();
    }

    /** Whether {@code pattern} holds a wildcard word. */
    public static boolean isPattern(String pattern) {
        for (String word : pattern.split("\\.", -1)) {
            if (word.equals("*") || word.equals("#")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The regular expression (for a whole-name match) equivalent to {@code pattern}.
     *
     * @throws InvalidConfigurationException if a word of the pattern is empty or holds characters Kafka topic names
     *     cannot
     */
    public static String toRegex(String pattern) {
        List<String> words = new ArrayList<>();
        for (String word : pattern.split("\\.", -1)) {
            boolean wildcard = word.equals("*") || word.equals("#");
            if (!wildcard
                    && (word.isEmpty() || !LEGAL.matcher(word).matches() || word.contains("*") || word.contains("#"))) {
                throw new InvalidConfigurationException("subscription pattern '" + pattern
                        + "' is not a Kafka topic pattern: words of a-z, A-Z, 0-9, '_', '-', or * (one word) or #"
                        + " (any number of words), separated by dots");
            }
            // Consecutive '#' match no more than one does.
            if (!(word.equals("#")
                    && !words.isEmpty()
                    && words.get(words.size() - 1).equals("#"))) {
                words.add(word);
            }
        }
        if (words.size() == 1 && words.get(0).equals("#")) {
            return ".+";
        }
        StringBuilder regex = new StringBuilder();
        int last = words.size() - 1;
        for (int i = 0; i <= last; i++) {
            String word = words.get(i);
            if (word.equals("#")) {
                // '#' takes its neighbouring dots with it, so that it may match no word at all.
                if (i == 0) {
                    regex.append("(?:" + WORD + "\\.)*");
                } else if (i == last) {
                    regex.append("(?:\\." + WORD + ")*");
                } else {
                    regex.append("\\.(?:" + WORD + "\\.)*");
                }
                continue;
            }
            if (i > 0 && !words.get(i - 1).equals("#")) {
                regex.append("\\.");
            }
            regex.append(word.equals("*") ? WORD : Pattern.quote(word));
        }
        return regex.toString();
    }

    /**
     * One pattern for a subscription to {@code patterns} (topic names or patterns), that never matches {@code
     * excluded}: a subscription must not read its own dead letters back.
     */
    public static Pattern subscription(List<String> patterns, String excluded) {
        List<String> alternatives = new ArrayList<>();
        for (String p : patterns) {
            alternatives.add(isPattern(p) ? toRegex(p) : Pattern.quote(p));
        }
        return Pattern.compile("(?!" + Pattern.quote(excluded) + "$)(?:" + String.join("|", alternatives) + ")");
    }
}
