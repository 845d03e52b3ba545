package dev.outbox.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The places that list the modules agree with the root pom: the README's module table, CONTRIBUTING's layout table,
 * and {@code outbox-bom}, which lists exactly the published modules. A module added to the root pom fails here until
 * it is in all of them; the failure names the module and the place.
 */
class ModuleListsTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern CODE = Pattern.compile("`([a-z][a-z0-9-]*)`");
    private static final List<String> NOT_PUBLISHED_PROPERTIES =
            List.of("maven.deploy.skip", "maven.javadoc.skip", "maven.source.skip", "japicmp.skip");

    @Test
    void everyModuleIsInTheReadmesModuleTable() throws IOException {
        Set<String> table = firstColumn(section("README.md", "## Modules"));
        assertThat(missing(modules(), table))
                .as("modules of the root pom.xml missing from README.md's module table (## Modules): add a row")
                .isEmpty();
        assertThat(missing(table, modules()))
                .as("README.md's module table (## Modules) names modules the root pom.xml does not have")
                .isEmpty();
    }

    @Test
    void everyModuleIsInContributingsLayoutTable() throws IOException {
        Set<String> table = firstColumn(section("CONTRIBUTING.md", "## Layout"));
        assertThat(missing(modules(), table))
                .as("modules of the root pom.xml missing from CONTRIBUTING.md's layout table (## Layout): add a row")
                .isEmpty();
        assertThat(missing(table, modules()))
                .as("CONTRIBUTING.md's layout table (## Layout) names modules the root pom.xml does not have")
                .isEmpty();
    }

    @Test
    void theBomListsExactlyThePublishedModulesAtTheProjectsVersion() throws Exception {
        Document bom = parse(ROOT.resolve("outbox-bom/pom.xml"));
        Element managed = child(bom.getDocumentElement(), "dependencyManagement");
        Set<String> listed = new TreeSet<>();
        for (Element dependency : children(child(managed, "dependencies"), "dependency")) {
            String artifact = text(dependency, "artifactId");
            assertThat(text(dependency, "groupId"))
                    .as("groupId of %s in outbox-bom", artifact)
                    .isEqualTo("dev.outbox");
            assertThat(text(dependency, "version"))
                    .as("version of %s in outbox-bom", artifact)
                    .isEqualTo("${project.version}");
            listed.add(artifact);
        }
        Set<String> published = new TreeSet<>();
        for (String module : modules()) {
            if (!module.equals("outbox-bom") && !notPublished(module)) {
                published.add(module);
            }
        }
        assertThat(missing(published, listed))
                .as(
                        "published modules missing from outbox-bom/pom.xml (or set %s in the module's pom)",
                        NOT_PUBLISHED_PROPERTIES)
                .isEmpty();
        assertThat(missing(listed, published))
                .as("outbox-bom/pom.xml lists modules that are not published modules of the root pom.xml")
                .isEmpty();
        assertThat(text(bom.getDocumentElement(), "version"))
                .as("outbox-bom's version (it has no parent, so it is written out) must be the root pom's")
                .isEqualTo(text(parse(ROOT.resolve("pom.xml")).getDocumentElement(), "version"));
    }

    @Test
    void aModuleIsPublishedWhollyOrNotAtAll() throws Exception {
        for (String module : modules()) {
            if (module.equals("outbox-bom")) {
                continue;
            }
            Element properties =
                    child(parse(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement(), "properties");
            List<String> skips = new ArrayList<>();
            for (String property : NOT_PUBLISHED_PROPERTIES) {
                if (properties != null && "true".equals(text(properties, property))) {
                    skips.add(property);
                }
            }
            assertThat(skips.isEmpty() || skips.equals(NOT_PUBLISHED_PROPERTIES))
                    .as(
                            "%s sets %s to true: set all of %s (not published) or none",
                            module, skips, NOT_PUBLISHED_PROPERTIES)
                    .isTrue();
        }
    }

    @Test
    void theReadmesInstallationImportsTheBomAndNamesPublishedModules() throws Exception {
        String installation = section("README.md", "## Installation");
        assertThat(installation)
                .as("README.md's installation section imports outbox-bom for Maven")
                .contains("<artifactId>outbox-bom</artifactId>", "<type>pom</type>", "<scope>import</scope>");
        assertThat(installation)
                .as("README.md's installation section imports outbox-bom for Gradle")
                .contains("platform(\"dev.outbox:outbox-bom:");
        Set<String> named = new TreeSet<>();
        Matcher maven = Pattern.compile("<artifactId>([a-z0-9-]+)</artifactId>").matcher(installation);
        while (maven.find()) {
            named.add(maven.group(1));
        }
        Matcher gradle = Pattern.compile("\"dev\\.outbox:([a-z0-9-]+)[\":]").matcher(installation);
        while (gradle.find()) {
            named.add(gradle.group(1));
        }
        assertThat(missing(named, modules()))
                .as("README.md's installation section names artifacts that are not modules")
                .isEmpty();
    }

    /** The modules of the root pom, in its order. */
    static Set<String> modules() {
        try {
            Element modules = child(parse(ROOT.resolve("pom.xml")).getDocumentElement(), "modules");
            Set<String> names = new LinkedHashSet<>();
            for (Element module : children(modules, "module")) {
                names.add(module.getTextContent().trim());
            }
            assertThat(names).as("modules of the root pom.xml").isNotEmpty();
            return names;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the root pom.xml", e);
        }
    }

    private static boolean notPublished(String module) {
        try {
            Element properties =
                    child(parse(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement(), "properties");
            return properties != null && "true".equals(text(properties, "maven.deploy.skip"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + module + "/pom.xml", e);
        }
    }

    private static Set<String> missing(Set<String> expected, Set<String> actual) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        return missing;
    }

    /** The text from a heading line to the next heading of the same or a higher level. */
    static String section(String file, String heading) throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve(file), StandardCharsets.UTF_8);
        int level = heading.indexOf(' ');
        int start = lines.indexOf(heading);
        assertThat(start).as("%s has a section '%s'", file, heading).isNotNegative();
        StringBuilder section = new StringBuilder();
        boolean fenced = false;
        for (String line : lines.subList(start + 1, lines.size())) {
            fenced ^= line.startsWith("```");
            if (!fenced && line.startsWith("#") && line.indexOf(' ') > 0 && line.indexOf(' ') <= level) {
                break;
            }
            section.append(line).append('\n');
        }
        return section.toString();
    }

    /** Every `name` in the first cell of the section's table rows (a cell may name several modules). */
    static Set<String> firstColumn(String section) {
        Set<String> names = new TreeSet<>();
        for (String line : section.lines().toList()) {
            if (!line.startsWith("|") || line.startsWith("|---")) {
                continue;
            }
            String[] cells = line.split("\\|");
            if (cells.length < 2) {
                continue;
            }
            Matcher m = CODE.matcher(cells[1]);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static Document parse(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(pom.toFile());
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        if (parent == null) {
            return found;
        }
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node node = nodes.item(i);
            if (node instanceof Element e && e.getTagName().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? null : e.getTextContent().trim();
    }
}
