package dev.outbox.admin;

import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import dev.outbox.StoreException;
import dev.outbox.store.jdbi.JdbiMessageStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The subcommands of {@link OutboxAdmin}. */
final class Commands {
    private Commands() {}

    /** What every command has: the database options and a place to print. */
    abstract static class Base implements Runnable {
        @Mixin
        DatabaseOptions db;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Runs {@code action} on the store, translating database failures. */
        <T> T withStore(boolean creating, String what, Function<JdbiMessageStore, T> action) {
            JdbiMessageStore store = db.open(creating);
            try {
                return action.apply(store);
            } catch (StoreException e) {
                throw db.failure(what, e);
            }
        }

        void checkLane(JdbiMessageStore store, int lane) {
            if (lane < 0 || lane >= store.lanes()) {
                throw new AdminException(
                        OutboxAdmin.EXIT_UNKNOWN_LANE,
                        "lane " + lane + " does not exist: the lanes of " + db.tables() + " are 0 to "
                                + (store.lanes() - 1));
            }
        }

        AdminException notStopped(JdbiMessageStore store, int lane) {
            List<Integer> stopped =
                    store.stoppedLanes().stream().map(StoppedLane::lane).toList();
            return new AdminException(
                    OutboxAdmin.EXIT_LANE_NOT_STOPPED,
                    "lane " + lane + " is not stopped"
                            + (stopped.isEmpty() ? ": no lane is" : "; stopped lanes: " + join(stopped)));
        }
    }

    @Command(
            name = "status",
            description = "Backlog, oldest message age, owner and stop record per lane, with a summary line.")
    static final class Status extends Base {
        @Option(
                names = "--all",
                description = "List every lane; by default only lanes with waiting messages or stopped.")
        boolean all;

        @Override
        public void run() {
            List<LaneStatus> lanes = withStore(false, "read the lane status", JdbiMessageStore::status);
            long backlog = lanes.stream().mapToLong(LaneStatus::backlog).sum();
            Optional<Duration> oldest = lanes.stream()
                    .map(LaneStatus::oldestAge)
                    .flatMap(Optional::stream)
                    .max(Duration::compareTo);
            long owned = lanes.stream().filter(l -> l.owner().isPresent()).count();
            long owners = lanes.stream()
                    .map(LaneStatus::owner)
                    .flatMap(Optional::stream)
                    .distinct()
                    .count();
            long stopped = lanes.stream().filter(l -> l.stopped().isPresent()).count();
            PrintWriter out = out();
            out.printf(
                    "%s: %d lanes, %d waiting, oldest %s, %d lanes owned by %d relay(s), %d stopped%n",
                    db.tables(),
                    lanes.size(),
                    backlog,
                    oldest.map(Commands::age).orElse("-"),
                    owned,
                    owners,
                    stopped);
            List<LaneStatus> shown = lanes.stream()
                    .filter(l -> all || l.backlog() > 0 || l.stopped().isPresent())
                    .toList();
            if (shown.isEmpty()) {
                out.println("no lane has waiting messages");
                return;
            }
            out.printf("%-6s %9s %9s  %-24s %s%n", "LANE", "BACKLOG", "OLDEST", "OWNER", "STATE");
            for (LaneStatus l : shown) {
                out.printf(
                        "%-6d %9d %9s  %-24s %s%n",
                        l.lane(),
                        l.backlog(),
                        l.oldestAge().map(Commands::age).orElse("-"),
                        l.owner().orElse("-"),
                        l.stopped().map(s -> stopLine(s, 160)).orElse("running"));
            }
        }
    }

    @Command(name = "stopped", description = "The stopped lanes: head message, topic, attempts, since when, reason.")
    static final class Stopped extends Base {
        @Override
        public void run() {
            List<StoppedLane> stopped = withStore(false, "list the stopped lanes", JdbiMessageStore::stoppedLanes);
            PrintWriter out = out();
            if (stopped.isEmpty()) {
                out.println("no stopped lanes");
                return;
            }
            for (StoppedLane s : stopped) {
                out.println("lane " + s.lane() + ": " + stopLine(s, Integer.MAX_VALUE));
            }
        }
    }

    @Command(
            name = "restart",
            description = "Restart a stopped lane: its head message is retried with a fresh set of attempts.")
    static final class Restart extends Base {
        @Parameters(paramLabel = "LANE", description = "The stopped lane's number.")
        int lane;

        @Override
        public void run() {
            StoppedLane s = withStore(false, "restart lane " + lane, store -> {
                checkLane(store, lane);
                return store.restart(lane).orElseThrow(() -> notStopped(store, lane));
            });
            out().printf(
                            "lane %d restarted: message %s (topic %s) will be published again%n",
                            s.lane(), s.messageId(), s.topic());
        }
    }

    @Command(
            name = "skip",
            description = "Park the head message of a stopped lane aside and resume the lane with its next message.")
    static final class Skip extends Base {
        @Parameters(paramLabel = "LANE", description = "The stopped lane's number.")
        int lane;

        @Override
        public void run() {
            ParkedMessage p = withStore(false, "skip the head of lane " + lane, store -> {
                checkLane(store, lane);
                return store.skip(lane).orElseThrow(() -> notStopped(store, lane));
            });
            out().printf(
                            "lane %d resumed; message %s (topic %s, type %s) parked. Put it back with: outbox-admin replay %s%n",
                            p.lane(), p.messageId(), p.topic(), p.type(), p.messageId());
        }
    }

    @Command(name = "parked", description = "The parked messages, oldest first.")
    static final class Parked extends Base {
        @Override
        public void run() {
            List<ParkedMessage> parked = withStore(false, "list the parked messages", JdbiMessageStore::parked);
            PrintWriter out = out();
            if (parked.isEmpty()) {
                out.println("no parked messages");
                return;
            }
            out.printf("%-12s %-6s %-20s %s%n", "MESSAGE", "LANE", "PARKED AT", "TOPIC / TYPE / REASON");
            for (ParkedMessage p : parked) {
                out.printf(
                        "%-12s %-6d %-20s %s / %s / %s%n",
                        p.messageId(),
                        p.lane(),
                        p.parkedAt().truncatedTo(ChronoUnit.SECONDS),
                        p.topic(),
                        p.type(),
                        p.reason());
            }
        }
    }

    @Command(
            name = "replay",
            description = "Put a parked message back in its lane with its original id, so it is published again.")
    static final class Replay extends Base {
        @Parameters(paramLabel = "MESSAGE-ID", description = "The parked message's id.")
        MessageId id;

        @Override
        public void run() {
            withStore(false, "replay message " + id, store -> {
                if (!store.replay(id)) {
                    List<MessageId> parked = store.parked().stream()
                            .map(ParkedMessage::messageId)
                            .toList();
                    throw new AdminException(
                            OutboxAdmin.EXIT_UNKNOWN_PARKED,
                            "no parked message with id " + id
                                    + (parked.isEmpty() ? ": nothing is parked" : "; parked: " + join(parked)));
                }
                return null;
            });
            out().printf("message %s is back in its lane and will be published with its original id%n", id);
        }
    }

    @Command(
            name = "schema",
            description =
                    "Print the SQL that creates the outbox tables, for Flyway, Liquibase or a DBA. Needs no database.")
    static final class Schema extends Base {
        @Override
        public void run() {
            out().print(db.offline().migrationScript());
            out().flush();
        }
    }

    @Command(
            name = "migrate",
            description =
                    "Create the outbox tables, or upgrade them to this version; does nothing if they are current.")
    static final class Migrate extends Base {
        @Override
        public void run() {
            int lanes = withStore(true, "migrate " + db.tables(), store -> {
                store.migrate();
                return store.lanes();
            });
            out().printf("%s is up to date (%d lanes)%n", db.tables(), lanes);
        }
    }

    static String stopLine(StoppedLane s, int maxReason) {
        String reason = s.reason().length() > maxReason ? s.reason().substring(0, maxReason) + "..." : s.reason();
        return "stopped at message " + s.messageId() + " (topic " + s.topic() + "), " + s.attempts()
                + " attempt(s), since " + s.stoppedAt().truncatedTo(ChronoUnit.SECONDS) + " ("
                + age(Duration.between(s.stoppedAt(), Instant.now())) + " ago): " + reason;
    }

    /** A short human age: 850ms, 42s, 3m12s, 2h05m, 3d04h. */
    static String age(Duration d) {
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        long s = d.toSeconds();
        if (s < 1) {
            return d.toMillis() + "ms";
        }
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format("%dd%02dh", s / 86_400, (s % 86_400) / 3600);
    }

    private static String join(List<?> items) {
        return items.stream().limit(20).map(String::valueOf).collect(Collectors.joining(", "))
                + (items.size() > 20 ? ", ..." : "");
    }
}
