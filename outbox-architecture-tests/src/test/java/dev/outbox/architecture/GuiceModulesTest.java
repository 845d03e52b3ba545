package dev.outbox.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Exposed;
import com.google.inject.Module;
import com.google.inject.PrivateModule;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One style for every Guice module of Outbox: a final {@link PrivateModule} named {@code *Module} in a {@code guice}
 * package, that binds what it builds and {@code expose()}s in {@code configure()} what others use (never
 * {@code @Exposed}), reads optional inputs through {@code OptionalBindings} instead of declaring optional or set
 * bindings of its own (Guice would keep those private, out of the application's reach), and defines {@code equals}
 * and {@code hashCode} so that installing it twice is harmless.
 *
 * <p>One exception, by name: a module whose job is to add to another module's {@link Multibinder} set cannot be
 * private, because Guice merges set elements only from outside private modules.
 */
class GuiceModulesTest {
    /** Modules that add to another module's set, with the set. */
    private static final Map<String, String> CONTRIBUTORS = Map.of(
            "dev.outbox.metrics.micrometer.guice.MicrometerMetricsModule",
            "adds its PartitionMonitor to OutboxModule.monitors");

    private static JavaClasses production;
    private static List<JavaClass> modules;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.outbox");
        modules = production.stream()
                .filter(c -> c.isAssignableTo(Module.class))
                .filter(c -> c.isTopLevelClass())
                .filter(c -> !c.getPackageName().startsWith("dev.outbox.examples"))
                .toList();
    }

    @Test
    void theModulesAndTheExceptionsExist() {
        Set<String> names = modules.stream().map(JavaClass::getName).collect(Collectors.toSet());
        assertThat(names)
                .as("the Guice modules found; a rule over nothing would pass silently")
                .hasSizeGreaterThanOrEqualTo(9)
                .contains("dev.outbox.guice.OutboxModule", "dev.outbox.store.jdbi.guice.JdbiStoreModule");
        assertThat(names).as("modules named as exceptions").containsAll(CONTRIBUTORS.keySet());
    }

    @Test
    void everyModuleIsAFinalPrivateModuleInAGuicePackage() {
        List<String> wrong = new ArrayList<>();
        for (JavaClass module : modules) {
            if (!module.getModifiers().contains(JavaModifier.FINAL)) {
                wrong.add(module.getName() + " is not final");
            }
            if (!module.getSimpleName().endsWith("Module")
                    || !module.getPackageName().endsWith(".guice")) {
                wrong.add(module.getName() + " is not a *Module in a guice package");
            }
            boolean isPrivate = module.isAssignableTo(PrivateModule.class);
            if (!isPrivate && !CONTRIBUTORS.containsKey(module.getName())) {
                wrong.add(module.getName() + " is not a PrivateModule");
            }
            if (isPrivate && CONTRIBUTORS.containsKey(module.getName())) {
                wrong.add(module.getName() + " is private now: take it off the exceptions");
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void everyModuleDefinesEqualsAndHashCodeSoThatInstallingItTwiceIsHarmless() {
        List<String> wrong = new ArrayList<>();
        for (JavaClass module : modules) {
            if (module.tryGetMethod("equals", Object.class).isEmpty()
                    || module.tryGetMethod("hashCode").isEmpty()) {
                wrong.add(module.getName());
            }
        }
        assertThat(wrong).as("modules without their own equals and hashCode").isEmpty();
    }

    @Test
    void privateModulesExposeInConfigureAndDeclareNoOptionalOrSetBindings() {
        List<String> wrong = new ArrayList<>();
        for (JavaClass module : modules) {
            if (!module.isAssignableTo(PrivateModule.class)) {
                continue;
            }
            for (JavaMethod method : module.getMethods()) {
                if (method.isAnnotatedWith(Exposed.class)) {
                    wrong.add(method.getFullName() + " uses @Exposed: expose() in configure() instead");
                }
                boolean helperForTheApplication = method.getModifiers().contains(JavaModifier.PUBLIC)
                        && method.getModifiers().contains(JavaModifier.STATIC);
                if (helperForTheApplication) {
                    continue; // e.g. OutboxModule.monitors(binder): runs on the application's binder
                }
                for (JavaMethodCall call : method.getMethodCallsFromSelf()) {
                    JavaClass owner = call.getTargetOwner();
                    boolean declares = owner.isEquivalentTo(OptionalBinder.class)
                            || owner.isEquivalentTo(Multibinder.class)
                            || owner.isEquivalentTo(MapBinder.class)
                            || call.getTarget().getRawReturnType().isAssignableTo(Multibinder.class);
                    if (declares) {
                        wrong.add(method.getFullName() + " calls "
                                + call.getTarget().getFullName()
                                + ": inside a private module it stays private; read it with OptionalBindings");
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
    }
}
