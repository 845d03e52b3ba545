package dev.outbox.benchmarks.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR recording of this JVM over one benchmark ({@code --profile}), and a summary of its execution samples: the
 * hottest frames (where the CPU was), the hottest frames of the project's own code and of the clients it drives, and
 * the busiest threads.
 */
final class Profiler implements AutoCloseable {
    private static final int TOP = 15;
    private static final List<String> OWN =
            List.of("dev.outbox.", "org.jdbi.", "org.postgresql.", "org.apache.kafka.", "com.rabbitmq.", "com.zaxxer.");

    private final Recording recording;
    private final Path file;
    private final Path summary;

    private Profiler(Recording recording, Path file, Path summary) {
        this.recording = recording;
        this.file = file;
        this.summary = summary;
    }

    static Profiler start(String name, Path dir) {
        try {
            Files.createDirectories(dir);
            Recording r = new Recording(Configuration.getConfiguration("profile"));
            r.setToDisk(true);
            r.start();
            return new Profiler(r, dir.resolve(name + ".jfr"), dir.resolve(name + "-profile.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ParseException e) {
            throw new IllegalStateException("the JDK's JFR profile settings do not parse", e);
        }
    }

    @Override
    public void close() {
        try {
            recording.stop();
            recording.dump(file);
            recording.close();
            String text = summarize(file);
            Files.writeString(summary, text);
            System.out.println(text);
            Log.info("profile: %s, summary %s", file, summary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The top frames of the execution samples in {@code jfr}, as text. */
    static String summarize(Path jfr) throws IOException {
        Map<String, Integer> top = new HashMap<>();
        Map<String, Integer> own = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            top.merge(frame(st.getFrames().get(0)), 1, Integer::sum);
            for (RecordedFrame f : st.getFrames()) {
                String name = frame(f);
                if (OWN.stream().anyMatch(name::startsWith)) {
                    own.merge(name, 1, Integer::sum);
                    break;
                }
            }
            String thread = e.getThread("sampledThread") == null
                    ? "?"
                    : e.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("[0-9]+", "#"), 1, Integer::sum);
        }
        StringBuilder out = new StringBuilder();
        out.append("execution samples: ")
                .append(samples)
                .append(" (")
                .append(jfr)
                .append(")\n");
        section(out, "top frames (self)", top, samples);
        section(out, "first frame of the project, JDBI, pgjdbc, Kafka, RabbitMQ or Hikari on the stack", own, samples);
        section(out, "threads", threads, samples);
        return out.toString();
    }

    private static void section(StringBuilder out, String title, Map<String, Integer> counts, int samples) {
        out.append("  ").append(title).append(":\n");
        List<Map.Entry<String, Integer>> list = new ArrayList<>(counts.entrySet());
        list.sort((a, b) -> b.getValue() - a.getValue());
        for (int i = 0; i < Math.min(TOP, list.size()); i++) {
            var en = list.get(i);
            out.append(String.format(
                    "    %5.1f%%  %6d  %s%n",
                    100.0 * en.getValue() / Math.max(1, samples), en.getValue(), en.getKey()));
        }
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}
