package dev.outbox.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the report says about the machine: processors, memory, CPU model, the JVM, the load. */
public final class Machine {
    private Machine() {}

    /** Records the machine's facts in {@code report}. */
    public static void describe(Report report) {
        report.machine("nproc", Runtime.getRuntime().availableProcessors());
        report.machine("memory", meminfo());
        report.machine("cpu", cpuModel());
        report.machine(
                "java",
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vendor") + ")");
        report.machine("jvm_max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        report.machine("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    }

    /** The load averages over 1, 5 and 15 minutes, or {@code unknown}. */
    public static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String meminfo() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Reported as unknown.
        }
        return "unknown";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Reported as unknown.
        }
        return "unknown";
    }
}
