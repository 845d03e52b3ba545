package dev.outbox.benchmarks.harness;

/**
 * What a figure should reach, to report (never to assert): a bound on the ratio against the baseline, or an absolute
 * bound on the outbox's own figure.
 *
 * @param kind which of these
 * @param bound the threshold
 * @param text how the report shows it
 */
public record Target(Kind kind, double bound, String text) {

    /** The kinds of target. */
    public enum Kind {
        /** No target: the figure is for information. */
        NONE,
        /** The ratio outbox / baseline must be at least the bound (rates). */
        RATIO_AT_LEAST,
        /** The ratio outbox / baseline must be at most the bound (latencies against a baseline's). */
        RATIO_AT_MOST,
        /** The outbox's own figure must be at most the bound. */
        VALUE_AT_MOST
    }

    /** No target. */
    public static final Target NONE = new Target(Kind.NONE, Double.NaN, "");

    /** The ratio must be at least {@code bound}. */
    public static Target ratioAtLeast(double bound) {
        return new Target(Kind.RATIO_AT_LEAST, bound, "≥ " + bound);
    }

    /** The ratio must be at most {@code bound}. */
    public static Target ratioAtMost(double bound) {
        return new Target(Kind.RATIO_AT_MOST, bound, "≤ " + bound + "×");
    }

    /** The outbox's figure must be at most {@code bound}, in {@code unit}. */
    public static Target valueAtMost(double bound, String unit) {
        return new Target(Kind.VALUE_AT_MOST, bound, "≤ " + Format.number(bound) + " " + unit);
    }

    /** Whether the median meets the target; null when there is none or nothing was measured. */
    public Boolean met(Stats value, Stats ratio) {
        return switch (kind) {
            case NONE -> null;
            case RATIO_AT_LEAST -> ratio.present() ? ratio.median() >= bound : null;
            case RATIO_AT_MOST -> ratio.present() ? ratio.median() <= bound : null;
            case VALUE_AT_MOST -> value.present() ? value.median() <= bound : null;
        };
    }
}
