package dev.outbox.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command runs the scenarios it is given, chosen by name, and knows nothing else of them. */
class CommandTest {

    /** Records which scenarios ran; closed once. */
    static final class Recorder implements Environment {
        final List<String> ran = new ArrayList<>();
        int closed;

        @Override
        public void close() {
            closed++;
        }
    }

    /** A scenario that records its runs and adds one figure per repetition. */
    record Fake(String name, boolean onlyWhenNamed, boolean repeated) implements Scenario<Recorder> {
        @Override
        public String description() {
            return "the " + name + " scenario";
        }

        @Override
        public void run(Recorder env, int rep) {
            env.ran.add(name + "#" + rep);
        }
    }

    private static final List<Fake> SCENARIOS =
            List.of(new Fake("first", false, true), new Fake("second", false, true), new Fake("sweeping", true, false));

    private static int run(Recorder env, Path out, String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--out";
        all[args.length + 1] = out.toString();
        return Command.execute(all, SCENARIOS, (settings, report) -> {
            report.figure("fake", "metric", "msg/s", "", Target.NONE).add(1, Double.NaN);
            return env;
        });
    }

    @Test
    void aRunOfEverythingLeavesOutTheScenariosThatRunOnlyWhenNamed(@TempDir Path out) {
        Recorder env = new Recorder();
        assertThat(run(env, out, "--reps", "2")).isZero();
        assertThat(env.ran).containsExactly("first#0", "first#1", "second#0", "second#1");
        assertThat(env.closed).isEqualTo(1);
    }

    @Test
    void onlyRunsTheNamedScenariosInTheOrderGiven(@TempDir Path out) {
        Recorder env = new Recorder();
        assertThat(run(env, out, "--quick", "--only", "second,sweeping,first")).isZero();
        assertThat(env.ran).containsExactly("second#0", "sweeping#0", "first#0");
    }

    @Test
    void theSweepFlagAddsTheScenariosThatRunOnlyWhenNamedOnceEach(@TempDir Path out) {
        Recorder env = new Recorder();
        assertThat(run(env, out, "--reps", "3", "--only", "first", "--sweep")).isZero();
        assertThat(env.ran).containsExactly("first#0", "first#1", "first#2", "sweeping#0");
    }

    @Test
    void anUnknownScenarioIsABadCommandLine(@TempDir Path out) {
        Recorder env = new Recorder();
        assertThat(run(env, out, "--only", "third")).isEqualTo(2);
        assertThat(env.ran).isEmpty();
        assertThat(env.closed).isZero();
    }

    @Test
    void theResultsAreWrittenWhereAsked(@TempDir Path out) throws Exception {
        assertThat(run(new Recorder(), out, "--quick", "--only", "first")).isZero();
        JsonNode root = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(root.at("/run/benches/0").asText()).isEqualTo("first");
        assertThat(root.at("/figures/0/bench").asText()).isEqualTo("fake");
    }

    @Test
    void theUsageListsEveryScenarioWithItsDescription() {
        String usage = Command.commandLine(new String[0], SCENARIOS, (s, r) -> new Recorder())
                .getUsageMessage();
        assertThat(usage)
                .contains("first            the first scenario")
                .contains("second           the second scenario")
                .contains("sweeping         the sweeping scenario (only when asked for)");
    }

    @Test
    void longDescriptionsWrapUnderTheirStart() {
        assertThat(Command.wrap("  name ", "a b c ".repeat(30).trim()))
                .hasSizeGreaterThan(1)
                .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80))
                .first()
                .satisfies(line -> assertThat(line).startsWith("  name a b c"));
        assertThat(Command.wrap("  name ", "a b c ".repeat(30).trim()).get(1)).matches(" {7}[abc] .*");
    }

    @Test
    void settingsComeFromACommandLineWithoutRunningAnything() {
        Settings s = Command.settings("--quick", "--horizon-messages", "1000", "--lanes", "8");
        assertThat(s.quick()).isTrue();
        assertThat(s.reps()).isEqualTo(1);
        assertThat(s.horizonMessages()).isEqualTo(1000);
        assertThat(s.lanes()).isEqualTo(8);
        assertThat(s.steadyPhase().toSeconds()).isEqualTo(15);
    }
}
