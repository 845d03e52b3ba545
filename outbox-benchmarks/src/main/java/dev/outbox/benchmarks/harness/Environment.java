package dev.outbox.benchmarks.harness;

/** The services the scenarios of a run use: opened once before the first scenario, closed after the last. */
public interface Environment extends AutoCloseable {

    /** Closes every service it opened; failures are logged, not thrown. */
    @Override
    void close();
}
