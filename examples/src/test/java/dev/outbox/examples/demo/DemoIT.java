package dev.outbox.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testkit.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The demo command, end to end, once per broker: it must finish with the read side equal to the command side. It
 * runs on the tests' PostgreSQL (in a schema of its own, dropped after) to save the embedded one's start-up.
 */
class DemoIT {
    private static String run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = Demo.run(out, args);
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isZero();
        return printed;
    }

    private static String[] common(String... more) {
        TestPostgres pg = TestPostgres.get();
        String[] base = {
            "--jdbc-url",
            pg.url(),
            "--db-user",
            pg.user(),
            "--products",
            "8",
            "--commands",
            "400",
            "--relays",
            "2",
            "--timeout",
            "PT2M"
        };
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void onKafkaWithJson() {
        String printed = run(common("--broker", "kafka"));
        assertThat(printed)
                .contains("broker kafka, serializer json, 2 relay(s)")
                .contains("products view     matches the command side for all 8 products")
                .contains("stopped lanes     none")
                .containsPattern("400 commands on 4 writers, 150/s")
                .containsPattern("rate +[0-9.]+/s achieved \\(400 commands in [0-9.]+ s\\) of 150/s asked")
                .containsPattern("appended +\\d+/s +published +\\d+/s +consumed +\\d+/s")
                .containsPattern(
                        "commit->publish +p50 [0-9.]+ ms +p99 [0-9.]+ ms +\\(from the writer's commit returning")
                .containsPattern(
                        "commit->consume +p50 [0-9.]+ ms +p99 [0-9.]+ ms +\\(from the writer's commit returning");
    }

    @Test
    void onRabbitMqWithAvro() {
        String printed = run(common("--broker", "rabbit", "--avro", "--rate", "0"));
        assertThat(printed)
                .contains("broker rabbit, serializer avro, 2 relay(s)")
                .contains("400 commands on 4 writers, as fast as they can")
                .containsPattern("rate +[0-9.]+/s achieved \\(400 commands in [0-9.]+ s\\), as fast as the writers can")
                .contains("products view     matches the command side for all 8 products")
                .contains("stopped lanes     none");
    }

    @Test
    void badOptionsAreRefusedWithUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), "--broker", "carrier-pigeon");
        assertThat(code).isEqualTo(2);
    }

    @Test
    void aNegativeOrNonFiniteRateIsRefusedBeforeAnythingStarts() {
        for (String rate : List.of("-1", "-0.5", "NaN", "Infinity")) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int code = Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), "--rate=" + rate);
            String printed = bytes.toString(StandardCharsets.UTF_8);
            assertThat(code).as(printed).isEqualTo(2);
            assertThat(printed)
                    .as(rate)
                    .contains("--rate must be 0 (as fast as possible) or a positive number of commands per second")
                    .doesNotContain("starting an embedded PostgreSQL");
        }
    }

    @Test
    void aRateOfZeroAndAFractionalRateAreAccepted() {
        for (String rate : List.of("0", "0.5", "150")) {
            Demo demo = new Demo(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            new CommandLine(demo).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--rate", rate);
            assertThat(demo.rate).isEqualTo(Double.parseDouble(rate));
        }
    }
}
