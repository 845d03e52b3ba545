package dev.outbox.benchmarks;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The benchmarks' packages depend one way: the main class → scenarios → fixtures → harness. */
class LayoutTest {
    private static final String HARNESS = "dev.outbox.benchmarks.harness..";
    private static final String FIXTURES = "dev.outbox.benchmarks.fixtures..";
    private static final String SCENARIOS = "dev.outbox.benchmarks.scenarios..";

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.outbox.benchmarks");
    }

    @Test
    void everyPackageTheRulesNameHasClasses() {
        for (String pkg : new String[] {HARNESS, FIXTURES, SCENARIOS}) {
            assertThat(classes.stream().filter(c -> c.getPackageName().startsWith(pkg.replace("..", ""))))
                    .as(pkg)
                    .isNotEmpty();
        }
        assertThat(classes.contain(Bench.class)).isTrue();
    }

    @Test
    void theHarnessKnowsNoFixtureAndNoScenario() {
        noClasses()
                .that()
                .resideInAPackage(HARNESS)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(FIXTURES, SCENARIOS)
                .orShould()
                .dependOnClassesThat()
                .belongToAnyOf(Bench.class)
                .check(classes);
    }

    @Test
    void fixturesKnowNoScenario() {
        noClasses()
                .that()
                .resideInAPackage(FIXTURES)
                .should()
                .dependOnClassesThat()
                .resideInAPackage(SCENARIOS)
                .orShould()
                .dependOnClassesThat()
                .belongToAnyOf(Bench.class)
                .check(classes);
    }

    @Test
    void scenariosDoNotCallBackIntoTheMainClass() {
        noClasses()
                .that()
                .resideInAPackage(SCENARIOS)
                .should()
                .dependOnClassesThat()
                .belongToAnyOf(Bench.class)
                .check(classes);
    }
}
