package dev.outbox.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testkit.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

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
                .containsPattern("appended +\\d+/s +published +\\d+/s +consumed +\\d+/s")
                .containsPattern(
                        "commit->publish +p50 [0-9.]+ ms +p99 [0-9.]+ ms +\\(from the writer's commit returning")
                .containsPattern(
                        "commit->consume +p50 [0-9.]+ ms +p99 [0-9.]+ ms +\\(from the writer's commit returning");
    }

    @Test
    void onRabbitMqWithAvro() {
        String printed = run(common("--broker", "rabbit", "--avro"));
        assertThat(printed)
                .contains("broker rabbit, serializer avro, 2 relay(s)")
                .contains("products view     matches the command side for all 8 products")
                .contains("stopped lanes     none");
    }

    @Test
    void badOptionsAreRefusedWithUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), "--broker", "carrier-pigeon");
        assertThat(code).isEqualTo(2);
    }
}
