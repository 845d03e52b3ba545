package dev.outbox.benchmarks;

/** One benchmark: each call runs one repetition and adds its figures to the report. */
interface Benchmark {

    /** The name given to {@code --only}. */
    String name();

    /** What it measures, for {@code --help} and the log. */
    String description();

    /** Runs repetition {@code rep} (from 0). */
    void run(Env env, int rep) throws Exception;
}
