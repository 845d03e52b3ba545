package dev.outbox.benchmarks.harness;

import java.util.Locale;

/** Number formatting for the table: few significant digits, no scientific notation. */
public final class Format {
    private Format() {}

    /** {@code v} with few significant digits; a dash for NaN. */
    public static String number(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** {@code median (min–max)}, or just the median for one repetition. */
    public static String stats(Stats s) {
        if (!s.present()) {
            return "–";
        }
        if (s.count() == 1 || s.min() == s.max()) {
            return number(s.median());
        }
        return number(s.median()) + " (" + number(s.min()) + "–" + number(s.max()) + ")";
    }
}
