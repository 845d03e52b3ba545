package dev.outbox.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of the hexagon, checked on the compiled production classes of every module. A rule that
 * names a package nobody has would pass silently, so {@link #everyPackageTheRulesNameExists()} checks them all.
 */
class HexagonTest {
    private static final String CORE_API = "dev.outbox";
    private static final String CORE_SPI = "dev.outbox.spi";
    private static final String CORE_INTERNAL = "dev.outbox.internal";
    private static final String CORE_GUICE = "dev.outbox.guice";
    private static final String TRACING = "dev.outbox.tracing.opentelemetry";
    private static final String SPRING = "dev.outbox.spring";

    /** Adapter packages: each a technology behind one of the core's ports. */
    static final List<String> ADAPTERS = List.of(
            "dev.outbox.broker.kafka",
            "dev.outbox.broker.rabbit",
            "dev.outbox.consumer.dedup",
            "dev.outbox.serializer.avro",
            "dev.outbox.serializer.jackson",
            "dev.outbox.store.jdbi");

    /** What the PostgreSQL adapters share: no adapter itself, so they may both depend on it. */
    private static final String POSTGRES = "dev.outbox.postgres";

    /** Packages of technologies the core must never see. */
    private static final List<String> TECHNOLOGY = List.of(
            "org.jdbi..",
            "org.postgresql..",
            "org.apache.kafka..",
            "com.rabbitmq..",
            "com.fasterxml.jackson..",
            "org.apache.avro..",
            "io.micrometer..",
            "io.opentelemetry..",
            "org.springframework..");

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.outbox");
    }

    private static Set<String> packages() {
        return production.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
    }

    @Test
    void everyPackageTheRulesNameExists() {
        Set<String> present = packages();
        assertThat(present).contains(CORE_API, CORE_SPI, CORE_INTERNAL, CORE_GUICE);
        assertThat(present).containsAll(ADAPTERS);
        assertThat(present).contains("dev.outbox.metrics.micrometer", POSTGRES);
        assertThat(present).contains(TRACING, TRACING + ".guice");
        assertThat(present).contains(SPRING, SPRING + ".autoconfigure", SPRING + ".actuate");
        for (String adapter : ADAPTERS) {
            assertThat(present).as("guice package of " + adapter).contains(adapter + ".guice");
        }
    }

    @Test
    void theCoreKnowsNoAdapterAndNoTechnology() {
        noClasses()
                .that()
                .resideInAnyPackage(CORE_API, CORE_SPI, CORE_INTERNAL, CORE_GUICE)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(concat(
                        List.of(
                                "dev.outbox.store..",
                                "dev.outbox.broker..",
                                "dev.outbox.consumer..",
                                "dev.outbox.serializer..",
                                "dev.outbox.metrics..",
                                "dev.outbox.tracing..",
                                "dev.outbox.admin..",
                                SPRING + "..",
                                POSTGRES + "..",
                                "dev.outbox.testkit..",
                                "dev.outbox.examples.."),
                        TECHNOLOGY))
                .check(production);
    }

    @Test
    void thePortsDependOnTheApiOnly() {
        noClasses()
                .that()
                .resideInAPackage(CORE_SPI)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(CORE_INTERNAL, CORE_GUICE)
                .check(production);
    }

    @Test
    void onlyGuicePackagesImportGuice() {
        noClasses()
                .that()
                .resideOutsideOfPackages("..guice..", "dev.outbox.examples..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("com.google.inject..")
                .check(production);
    }

    @Test
    void adaptersDoNotKnowEachOther() {
        for (String adapter : ADAPTERS) {
            List<String> others = ADAPTERS.stream()
                    .filter(a -> !a.equals(adapter))
                    .map(a -> a + "..")
                    .toList();
            if (others.isEmpty()) {
                continue;
            }
            noClasses()
                    .that()
                    .resideInAPackage(adapter + "..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(others.toArray(String[]::new))
                    .check(production);
        }
    }

    @Test
    void theSharedPostgresSupportKnowsTheCoreApiOnly() {
        noClasses()
                .that()
                .resideInAPackage(POSTGRES + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(concat(
                        List.of(CORE_INTERNAL, CORE_GUICE, "dev.outbox.admin..", "dev.outbox.testkit.."),
                        ADAPTERS.stream().map(a -> a + "..").toList()))
                .check(production);
    }

    @Test
    void metricsObserveTheCoreAndDedupButNoStoreBrokerOrSerializer() {
        noClasses()
                .that()
                .resideInAPackage("dev.outbox.metrics..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.outbox.store..", "dev.outbox.broker..", "dev.outbox.serializer..", CORE_INTERNAL)
                .check(production);
    }

    @Test
    void tracingDecoratesTheCoresPortsAndKnowsNoStoreBrokerOrSerializer() {
        noClasses()
                .that()
                .resideInAPackage("dev.outbox.tracing..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.outbox.store..",
                        "dev.outbox.broker..",
                        "dev.outbox.serializer..",
                        "dev.outbox.metrics..",
                        CORE_INTERNAL)
                .check(production);
    }

    @Test
    void onlySpringModulesImportSpring() {
        noClasses()
                .that()
                .resideOutsideOfPackages(SPRING + "..", "dev.outbox.examples..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.springframework..")
                .check(production);
    }

    @Test
    void onlyTheTracingModuleAndTheStarterImportOpenTelemetry() {
        // The starter wires the tracing module when OpenTelemetry is on the class path; nothing else may see it.
        noClasses()
                .that()
                .resideOutsideOfPackages("dev.outbox.tracing..", SPRING + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.opentelemetry..")
                .check(production);
    }

    @Test
    void adaptersUseTheCoresApiAndPortsButNotItsEngine() {
        noClasses()
                .that()
                .resideInAnyPackage(ADAPTERS.stream().map(a -> a + "..").toArray(String[]::new))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(CORE_INTERNAL)
                .check(production);
    }

    @Test
    void examplesUseThePublicApiOnly() {
        noClasses()
                .that()
                .resideInAPackage("dev.outbox.examples..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("..internal..")
                .allowEmptyShould(true)
                .check(production);
    }

    @Test
    void noPackageCycles() {
        // A feature and its internal twin know each other by design (the API's builders make the engine, the
        // engine implements the API); cycles between features are what must not happen.
        slices().matching("dev.outbox.(*).(*)..").should().beFreeOfCycles().check(production);
    }

    @Test
    void nothingIsNamedImplManagerHelperOrUtil() {
        noClasses()
                .should()
                .haveSimpleNameEndingWith("Impl")
                .orShould()
                .haveSimpleNameEndingWith("Manager")
                .orShould()
                .haveSimpleNameEndingWith("Helper")
                .orShould()
                .haveSimpleNameEndingWith("Util")
                .orShould()
                .haveSimpleNameEndingWith("Utils")
                .check(production);
    }

    private static String[] concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
