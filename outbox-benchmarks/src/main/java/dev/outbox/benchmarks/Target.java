package dev.outbox.benchmarks;

/**
 * What a figure should reach, to report (never to assert): a ratio against the baseline, or an absolute bound on the
 * outbox's own figure.
 *
 * @param kind which of the two
 * @param bound the threshold
 * @param text how the report shows it
 */
record Target(Kind kind, double bound, String text) {

    enum Kind {
        NONE,
        RATIO_AT_LEAST,
        VALUE_AT_MOST
    }

    static final Target NONE = new Target(Kind.NONE, Double.NaN, "");

    static Target ratioAtLeast(double bound) {
        return new Target(Kind.RATIO_AT_LEAST, bound, "≥ " + bound);
    }

    static Target valueAtMost(double bound, String unit) {
        return new Target(Kind.VALUE_AT_MOST, bound, "≤ " + Format.number(bound) + " " + unit);
    }

    /** Whether the median meets the target; null when there is none or nothing was measured. */
    Boolean met(Stats value, Stats ratio) {
        return switch (kind) {
            case NONE -> null;
            case RATIO_AT_LEAST -> ratio.present() ? ratio.median() >= bound : null;
            case VALUE_AT_MOST -> value.present() ? value.median() <= bound : null;
        };
    }
}
