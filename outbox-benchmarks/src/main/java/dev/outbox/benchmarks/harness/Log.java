package dev.outbox.benchmarks.harness;

import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** The benchmark's progress on standard output, one time-stamped line at a time. Thread-safe. */
public final class Log {
    private Log() {}

    /** Prints {@code format} (with {@code args}, as {@link String#format}) after the time of day. */
    public static void info(String format, Object... args) {
        synchronized (System.out) {
            System.out.printf(
                    Locale.ROOT,
                    "[%s] %s%n",
                    LocalTime.now().truncatedTo(ChronoUnit.SECONDS),
                    String.format(Locale.ROOT, format, args));
            System.out.flush();
        }
    }
}
