package dev.outbox.benchmarks.harness;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a run is sized, from the command line.
 *
 * @param benches the benchmarks to run, in order
 * @param reps repetitions of every benchmark; figures are their median
 * @param quick whether the short phases of {@code --quick} apply
 * @param backlog the backlog the throughput benchmarks drain
 * @param drainMessages the backlog of the drain benchmark
 * @param horizonMessages the backlog of each drain of the held-horizon benchmark
 * @param steadyPhase how long each open-loop part of the held-horizon benchmark runs after its warm-up
 * @param drainWindow the window of the drain benchmark's rate over time
 * @param payloadBytes every message's payload size
 * @param keys distinct partition keys
 * @param partitions partitions of every Kafka topic
 * @param lanes the store's lane count
 * @param batchSize the relay's batch size
 * @param concurrency the relay's rounds in progress at once
 * @param frequency the relay's polling interval when nothing wakes it
 * @param notifyOnAppend the store's {@code notifyOnAppend} in the relay benchmarks
 * @param writers concurrent writers of the append and latency benchmarks
 * @param handlers concurrent handler threads of the dedup benchmark
 * @param scaleRelays how many relays the scale benchmark compares with one
 * @param phase how long each closed-loop phase (append, dedup) runs after its warm-up
 * @param warmup the warm-up of closed-loop and latency phases
 * @param latencyPhase how long each latency measurement runs after its warm-up
 * @param kafkaProducer producer properties set on both the adapter and the plain producer (to try settings)
 * @param coldTable whether backlogs land in tables never analyzed (as in a table's first minute), not in tables with
 *     the statistics autovacuum gives a table in service
 * @param profile whether each benchmark is recorded with JFR and its hot frames printed
 * @param out where results.json and profiles go
 */
public record Settings(
        List<String> benches,
        int reps,
        boolean quick,
        long backlog,
        long drainMessages,
        long horizonMessages,
        Duration steadyPhase,
        Duration drainWindow,
        int payloadBytes,
        int keys,
        int partitions,
        int lanes,
        int batchSize,
        int concurrency,
        Duration frequency,
        boolean notifyOnAppend,
        int writers,
        int handlers,
        int scaleRelays,
        Duration phase,
        Duration warmup,
        Duration latencyPhase,
        Map<String, String> kafkaProducer,
        boolean coldTable,
        boolean profile,
        Path out) {

    /** Messages a relay or a plain client publishes before it is timed: connections, topic checks, its JIT. */
    public long warmMessages() {
        return quick ? 10_000 : 100_000;
    }

    /**
     * Records a plain producer sends to a scratch topic as soon as the embedded Kafka is up, so that its JVM has
     * compiled the write path before the first measurement: whichever went first would otherwise pay for it.
     */
    public long brokerWarmMessages() {
        return quick ? 100_000 : 400_000;
    }

    /** The bound on waiting for a backlog of {@code n}: generous, the point is not to hang. */
    public Duration timeoutFor(long n) {
        return Duration.ofSeconds(120 + n / 500);
    }
}
