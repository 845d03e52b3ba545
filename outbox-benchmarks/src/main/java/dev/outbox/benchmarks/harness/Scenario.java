package dev.outbox.benchmarks.harness;

/**
 * One benchmark: each call of {@link #run} runs one repetition and adds its figures to the report.
 *
 * @param <E> the services a scenario runs against, opened once per run by the command
 */
public interface Scenario<E> {

    /** The name given to {@code --only}. */
    String name();

    /** What it measures, for {@code --help} and the log. */
    String description();

    /** Whether it runs only when named ({@code --only}, or its own flag), not in a run of everything. Default false. */
    default boolean onlyWhenNamed() {
        return false;
    }

    /** Whether it runs once per repetition (true, the default) or once per run (a sweep is its own spread). */
    default boolean repeated() {
        return true;
    }

    /** Runs repetition {@code rep} (from 0); the environment carries the report its figures go to. */
    void run(E env, int rep) throws Exception;
}
