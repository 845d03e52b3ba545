package dev.outbox.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The median and spread (min–max) of one figure over the repetitions. */
record Stats(double median, double min, double max, int count) {

    static final Stats NONE = new Stats(Double.NaN, Double.NaN, Double.NaN, 0);

    static Stats of(List<Double> values) {
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

    boolean present() {
        return count > 0;
    }
}
