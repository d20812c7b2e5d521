package dev.stepwise.engine.bench;

import java.util.Arrays;
import java.util.List;

/** Median, min, max and percentiles of a sample. */
final class Stats {
    private Stats() {
    }

    static double median(List<Double> xs) {
        double[] a = sorted(xs);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    static double min(List<Double> xs) {
        return sorted(xs)[0];
    }

    static double max(List<Double> xs) {
        double[] a = sorted(xs);
        return a[a.length - 1];
    }

    /** Nearest-rank percentile, p in (0, 100]. */
    static double percentile(long[] values, double p) {
        long[] a = values.clone();
        Arrays.sort(a);
        int rank = (int) Math.ceil(p / 100.0 * a.length);
        return a[Math.max(0, Math.min(a.length - 1, rank - 1))];
    }

    private static double[] sorted(List<Double> xs) {
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("empty sample");
        }
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a;
    }
}
