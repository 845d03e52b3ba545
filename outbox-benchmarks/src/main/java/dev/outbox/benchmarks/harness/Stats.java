package dev.outbox.benchmarks.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The median and spread (min–max) of one figure over the repetitions.
 *
 * @param median the median
 * @param min the lowest value
 * @param max the highest value
 * @param count how many values were measured
 */
public record Stats(double median, double min, double max, int count) {

    /** Nothing measured. */
    public static final Stats NONE = new Stats(Double.NaN, Double.NaN, Double.NaN, 0);

    /** The statistics of {@code values}, leaving out nulls and NaNs. */
    public static Stats of(List<Double> values) {
        List<Double> v = new ArrayList<>();
        for (Double d : values) {
            if (d != null && !d.isNaN()) {
                v.add(d);
            }
        }
        if (v.isEmpty()) {
            return NONE;
        }
        Collections.sort(v);
        int n = v.size();
        double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
        return new Stats(median, v.get(0), v.get(n - 1), n);
    }

    /** Whether anything was measured. */
    public boolean present() {
        return count > 0;
    }
}
