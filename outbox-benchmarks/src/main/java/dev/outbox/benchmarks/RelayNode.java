package dev.outbox.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Relay;
import dev.outbox.spi.Broker;
import java.time.Duration;
import java.util.BitSet;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * One relay instance as an application runs it: its own connection pool, a store on the shared tables, the broker
 * adapter (tapped) and the relay with its defaults but for what the benchmark sets. The statements of its store are
 * counted.
 */
final class RelayNode implements AutoCloseable {
    private final HikariDataSource pool;
    private final Usage.Counter statements = new Usage.Counter();
    private final TapBroker tap;
    private final TimedStore store;
    private final Progress progress;
    private final Relay relay;

    RelayNode(OutboxTable table, Broker broker, BitSet seen, Progress progress, int batchSize, int concurrency) {
        this.pool = table.schema().newPool(4);
        Jdbi jdbi = Jdbi.create(pool);
        jdbi.getConfig(SqlStatements.class).setSqlLogger(statements);
        this.tap = new TapBroker(broker, seen);
        this.store = new TimedStore(table.storeOn(jdbi));
        this.progress = progress;
        this.relay = Relay.builder()
                .store(store)
                .broker(tap)
                .source(Side.SOURCE)
                .batchSize(batchSize)
                .concurrency(Math.min(concurrency, table.config().lanes()))
                .frequency(table.frequency())
                .listener(progress)
                .build();
    }

    RelayNode start() {
        relay.start();
        return this;
    }

    /**
     * Waits until this relay holds {@code lanes} lanes.
     *
     * @throws IllegalStateException if it does not within {@code timeout}
     */
    RelayNode awaitLanes(int lanes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (relay.ownedLanes().size() != lanes) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("relay " + relay.id() + " holds "
                        + relay.ownedLanes().size() + " lanes, not " + lanes + ", after " + timeout);
            }
            Thread.sleep(20);
        }
        return this;
    }

    Relay relay() {
        return relay;
    }

    TapBroker tap() {
        return tap;
    }

    Usage.Counter statements() {
        return statements;
    }

    /** Where the relay's rounds spent their time so far; subtract an earlier snapshot with {@link Rounds#since}. */
    Rounds rounds() {
        return new Rounds(
                progress.rounds(),
                store.fetchNanos.sum(),
                tap.publishNanos.sum(),
                tap.settleNanos.sum(),
                store.acknowledgeNanos.sum(),
                progress.roundNanos(),
                store.wakes.sum());
    }

    /**
     * Round count; nanoseconds spent in fetch, the publish call, waiting for acks, acknowledge, and in all; wake-ups on
     * commit.
     */
    record Rounds(long count, long fetch, long publish, long settle, long acknowledge, long total, long wakes) {

        /** The average round since {@code before}, as text. */
        String since(Rounds before) {
            double n = Math.max(1, count - before.count);
            return String.format(
                    java.util.Locale.ROOT,
                    "%d rounds of %.2f ms: fetch %.2f, publish call %.2f, acks %.2f, delete %.2f; %d wake-ups",
                    count - before.count,
                    (total - before.total) / 1e6 / n,
                    (fetch - before.fetch) / 1e6 / n,
                    (publish - before.publish) / 1e6 / n,
                    (settle - before.settle) / 1e6 / n,
                    (acknowledge - before.acknowledge) / 1e6 / n,
                    wakes - before.wakes);
        }
    }

    /** Closes the relay, the adapter and the pool. */
    @Override
    public void close() {
        relay.close();
        tap.close();
        pool.close();
    }
}
