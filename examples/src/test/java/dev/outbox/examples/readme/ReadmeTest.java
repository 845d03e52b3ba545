package dev.outbox.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's code is the tested code: each marked region of {@link QuickStartIT}, of the Spring Boot warehouse
 * ({@code examples-spring-boot}, tested by its ITs) and of the Kafka broker's settings test appears in it word for
 * word.
 */
class ReadmeTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path SOURCE =
            Path.of("src", "test", "java", "dev", "outbox", "examples", "readme", "QuickStartIT.java");

    @Test
    void everyMarkedRegionOfTheQuickStartIsInTheReadme() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Map<String, String> regions = regions(Files.readAllLines(SOURCE, StandardCharsets.UTF_8));
        assertThat(regions).containsOnlyKeys("wiring", "append", "consume", "shutdown");
        regions.forEach((name, code) -> assertThat(readme)
                .as("README region '%s' (copy it from QuickStartIT)", name)
                .contains(code));
    }

    @Test
    void everyMarkedRegionOfTheSpringBootWarehouseIsInTheReadme() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Path spring =
                Path.of("..", "examples-spring-boot", "src", "main", "java", "dev", "outbox", "examples", "spring");
        Map<String, String> service =
                regions(Files.readAllLines(spring.resolve("WarehouseService.java"), StandardCharsets.UTF_8));
        Map<String, String> consumers =
                regions(Files.readAllLines(spring.resolve("WarehouseConsumers.java"), StandardCharsets.UTF_8));
        assertThat(service).containsOnlyKeys("append");
        assertThat(consumers).containsOnlyKeys("consume");
        assertThat(readme)
                .as("README Spring Boot append (copy it from WarehouseService)")
                .contains(service.get("append"));
        assertThat(readme)
                .as("README Spring Boot consumer (copy it from WarehouseConsumers)")
                .contains(consumers.get("consume"));
    }

    @Test
    void theKafkaExactlyOnceSettingsAreInTheReadme() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        Path test = Path.of(
                "..",
                "outbox-broker-kafka",
                "src",
                "test",
                "java",
                "dev",
                "outbox",
                "broker",
                "kafka",
                "KafkaBrokerSettingsTest.java");
        Map<String, String> regions = regions(Files.readAllLines(test, StandardCharsets.UTF_8));
        assertThat(regions).containsOnlyKeys("exactly-once");
        assertThat(readme)
                .as("README exactly-once settings (copy them from KafkaBrokerSettingsTest)")
                .contains(regions.get("exactly-once"));
    }

    /** The regions between {@code // README:name} and {@code // README:end}, with their common indent removed. */
    static Map<String, String> regions(List<String> lines) {
        Map<String, String> regions = new LinkedHashMap<>();
        String name = null;
        List<String> body = new ArrayList<>();
        for (String line : lines) {
            String t = line.trim();
            if (t.startsWith("// README:")) {
                String marker = t.substring("// README:".length());
                if (marker.equals("end")) {
                    regions.put(name, dedent(body));
                    name = null;
                    body.clear();
                } else {
                    name = marker;
                }
            } else if (name != null) {
                body.add(line);
            }
        }
        return regions;
    }

    private static String dedent(List<String> body) {
        int indent = body.stream()
                .filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length())
                .min()
                .orElse(0);
        StringBuilder out = new StringBuilder();
        for (String l : body) {
            out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return out.toString();
    }
}
