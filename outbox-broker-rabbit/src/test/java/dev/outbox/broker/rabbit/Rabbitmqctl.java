package dev.outbox.broker.rabbit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@code rabbitmqctl} against the local broker, bounded, failing loudly when it cannot. */
final class Rabbitmqctl {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private Rabbitmqctl() {}

    /** Runs {@code rabbitmqctl args...}; returns its output. */
    static String run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable());
        command.add("-q");
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + TIMEOUT);
            }
            String out = output.get(10, TimeUnit.SECONDS);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(
                        String.join(" ", command) + " failed with exit code " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot run rabbitmqctl: is RabbitMQ installed here? (bin/test installs" + " it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running rabbitmqctl", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot read the output of rabbitmqctl", e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }

    private static String executable() {
        String configured = System.getenv("OUTBOX_RABBITMQCTL");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "rabbitmqctl"))) {
                return Path.of(dir, "rabbitmqctl").toString();
            }
        }
        return "/usr/sbin/rabbitmqctl";
    }

    static void addVhost(String vhost) {
        run("add_vhost", vhost);
        run("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
    }

    static void deleteVhost(String vhost) {
        run("delete_vhost", vhost);
    }

    /** Closes every client connection to {@code vhost}, as a broker or network failure would. */
    static void closeAllConnections(String vhost) {
        run("close_all_connections", "-p", vhost, "outbox test: dropping connections");
    }

    /** Stops the RabbitMQ application (the Erlang node stays up), closing every connection. */
    static void stopApp() {
        run("stop_app");
    }

    /** Starts the RabbitMQ application again and waits until it accepts connections. */
    static void startApp() {
        run("start_app");
        run("await_startup", "--timeout", "60");
    }
}
