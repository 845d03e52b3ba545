package dev.outbox.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    private static Report sample() {
        Report r = new Report();
        r.machine("nproc", 2);
        r.figure("relay-kafka", "throughput", "msg/s", "plain client", Target.ratioAtLeast(0.8))
                .add(40_000, 50_000)
                .extra(Figure.CPU, 0.03)
                .extra(Figure.STATEMENTS, 0.002);
        r.figure("latency", "kafka max", "msg/s", "", Target.NONE).add(3000, Double.NaN);
        r.note("drain", "a note");
        return r;
    }

    @Test
    void jsonHoldsEveryFigureWithItsRepetitions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("out/results.json");
        sample().writeJson(file);
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        assertThat(root.at("/machine/nproc").asInt()).isEqualTo(2);
        JsonNode relay = root.at("/figures/0");
        assertThat(relay.get("bench").asText()).isEqualTo("relay-kafka");
        assertThat(relay.at("/ratio/median").asDouble()).isEqualTo(0.8);
        assertThat(relay.at("/outbox/repetitions/0").asDouble()).isEqualTo(40_000);
        assertThat(relay.at("/per_message/statements_per_msg/median").asDouble())
                .isEqualTo(0.002);
        assertThat(relay.get("met").asBoolean()).isTrue();
        JsonNode max = root.at("/figures/1");
        assertThat(max.at("/ratio/median").isNull()).isTrue();
        assertThat(max.get("met").isNull()).isTrue();
        assertThat(root.at("/notes/drain/0").asText()).isEqualTo("a note");
    }

    @Test
    void theTableHasARowPerFigure() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        sample().printTable(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertThat(table)
                .contains("| relay-kafka ")
                .contains("40,000")
                .contains("plain client: 50,000")
                .contains("0.800")
                .contains("| latency ")
                .contains("note [drain]: a note");
    }
}
