package dev.outbox.benchmarks.scenarios;

import dev.outbox.benchmarks.fixtures.Env;
import dev.outbox.benchmarks.fixtures.Load;
import dev.outbox.benchmarks.fixtures.Messages;
import dev.outbox.benchmarks.fixtures.OutboxTable;
import dev.outbox.benchmarks.fixtures.Progress;
import dev.outbox.benchmarks.fixtures.RelayNode;
import dev.outbox.benchmarks.fixtures.Side;
import dev.outbox.benchmarks.harness.Log;
import dev.outbox.benchmarks.harness.Scenario;
import dev.outbox.benchmarks.harness.Settings;
import dev.outbox.benchmarks.harness.Target;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;

/**
 * scale: two (or {@code --scale-relays}) relay instances on one table against one, each with its own pool and producer, draining the same backlog
 * to Kafka once they have split the lanes. Duplicates are counted twice over: acknowledgements of an id already
 * acknowledged, and records in the topic beyond the messages appended.
 */
final class Scale implements Scenario<Env> {

    @Override
    public String name() {
        return "scale";
    }

    @Override
    public String description() {
        return "several relays on one table vs one, and duplicates";
    }

    @Override
    public void run(Env env, int rep) throws Exception {
        Settings s = env.settings();
        Side broker = env.kafka();
        long n = s.backlog();
        String dest = broker.createDestination();
        Messages m = Messages.of(dest, s.keys(), s.payloadBytes());
        BitSet seen = new BitSet();
        try (OutboxTable table = OutboxTable.create(env, s.lanes())) {
            long[] next = {0};
            double one = drain(env, broker, dest, table, m, n, 1, seen, next)[0];
            int relays = s.scaleRelays();
            double[] two = drain(env, broker, dest, table, m, n, relays, seen, next);
            long records = broker.delivered(dest);
            long extra = records < 0 ? -1 : records - next[0];
            env.report()
                    .figure(name(), relays + " relays vs 1, backlog " + n, "msg/s", "1 relay", Target.ratioAtLeast(1.0))
                    .add(two[0], one)
                    .extra("duplicates_acked", two[1])
                    .extra("duplicates_in_topic", extra);
            env.report()
                    .note(
                            name(),
                            "rep " + (rep + 1) + ": " + (long) two[1] + " ids acknowledged twice, " + extra
                                    + " records in the topic beyond the messages appended");
            Log.info(
                    "scale rep %d: 1 relay %.0f msg/s, %d relays %.0f msg/s (ratio %.2f); duplicates: %d acked twice,"
                            + " %d extra records in the topic",
                    rep + 1, one, relays, two[0], two[0] / one, (long) two[1], extra);
        } finally {
            broker.dropDestination(dest);
        }
    }

    /**
     * Starts {@code relays} relays, waits until they have split the lanes, warms them up and drains a backlog of
     * {@code n}.
     *
     * @return the rate, and the duplicate acknowledgements during the drain
     */
    private static double[] drain(
            Env env,
            Side broker,
            String dest,
            OutboxTable table,
            Messages m,
            long n,
            int relays,
            BitSet seen,
            long[] next)
            throws Exception {
        Settings s = env.settings();
        Progress progress = new Progress();
        List<RelayNode> nodes = new java.util.ArrayList<>();
        try {
            long warm = s.warmMessages();
            if (next[0] == 0) {
                table.warm(m, 0, warm);
            } else {
                table.load(m, next[0], warm);
            }
            next[0] += warm;
            for (int i = 0; i < relays; i++) {
                nodes.add(new RelayNode(table, broker.broker(dest), seen, progress, s.batchSize(), s.concurrency())
                        .start());
            }
            awaitSplit(nodes, s.lanes(), Duration.ofSeconds(60));
            progress.awaitDone(warm, s.timeoutFor(warm));
            long dupBefore = duplicates(nodes);
            Load load = table.copy(m, next[0], n);
            next[0] += n;
            long t0 = load.commit();
            long t1 = progress.awaitDone(warm + n, s.timeoutFor(n));
            return new double[] {n / ((t1 - t0) / 1e9), duplicates(nodes) - dupBefore};
        } finally {
            for (RelayNode node : nodes) {
                node.close();
            }
        }
    }

    /** Waits until the relays hold every lane between them, each at least its floor share. */
    private static void awaitSplit(List<RelayNode> nodes, int lanes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int floor = lanes / nodes.size();
        while (true) {
            int total = 0;
            boolean fair = true;
            for (RelayNode n : nodes) {
                int held = n.relay().ownedLanes().size();
                total += held;
                fair &= held >= floor;
            }
            if (total == lanes && fair) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(nodes.size() + " relays did not split " + lanes + " lanes within "
                        + timeout + ": they hold " + total);
            }
            Thread.sleep(20);
        }
    }

    private static long duplicates(List<RelayNode> nodes) {
        return nodes.stream().mapToLong(n -> n.tap().duplicates()).sum();
    }
}
