package dev.outbox.kafka.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The entry point of the child JVM: runs a Kafka main class, and halts the child when its parent goes away.
 *
 * <p>The parent keeps the child's standard input open for as long as it lives. When the parent dies, even by SIGKILL
 * where no shutdown hook runs, the pipe closes and the read below returns end of stream: the child then deletes its
 * directory (only if it carries the marker the parent wrote) and halts, so no broker outlives the test that started
 * it.
 */
final class ChildMain {
    static final String DIRECTORY_PROPERTY = "outbox.embedded.kafka.dir";
    static final String MARKER = ".outbox-embedded-kafka";

    private ChildMain() {}

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: ChildMain <main class> [arguments...]");
        }
        Thread watch = new Thread(ChildMain::watchParent, "outbox-embedded-kafka-parent-watch");
        watch.setDaemon(true);
        watch.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void watchParent() {
        byte[] buffer = new byte[64];
        try (InputStream in = System.in) {
            while (in.read(buffer) >= 0) {
                // The parent never writes; anything read is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end of stream: the parent is gone.
        }
        String dir = System.getProperty(DIRECTORY_PROPERTY);
        if (dir != null) {
            deleteOwnDirectory(Path.of(dir));
        }
        Runtime.getRuntime().halt(3);
    }

    private static void deleteOwnDirectory(Path dir) {
        if (!Files.exists(dir.resolve(MARKER))) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Best effort: the broker may be writing while we delete.
                }
            });
        } catch (IOException e) {
            // Best effort.
        }
    }
}
