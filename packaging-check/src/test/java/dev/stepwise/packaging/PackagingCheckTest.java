package dev.stepwise.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/**
 * What Maven Central and a consumer see of every published module. The list of modules comes from the
 * reactor (the parent's {@code <modules>}); a module is published unless its pom sets
 * {@code maven.deploy.skip} to true. Runs in the reactor after every published module was packaged
 * ({@code mvn -B verify} from the root; no {@code install} needed).
 */
class PackagingCheckTest {
    private static final Path ROOT = Path.of(System.getProperty("stepwise.repo.root", "..")).toAbsolutePath().normalize();
    private static final String VERSION = System.getProperty("stepwise.version", "");
    private static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
    private static final String GROUP = "dev.stepwise";

    private static Pom parent;
    private static Pom bom;
    /** Published jar modules, by artifactId, in reactor order. */
    private static final Map<String, Pom> LIBRARIES = new LinkedHashMap<>();

    @BeforeAll
    static void readReactor() {
        parent = Pom.read(ROOT.resolve("pom.xml"), Map.of());
        parent.properties.put("project.version", parent.text("version"));
        for (Element m : parent.all("modules/module")) {
            String dir = m.getTextContent().strip();
            Pom pom = Pom.read(ROOT.resolve(dir).resolve("pom.xml"),
                    Pom.child(pom(ROOT.resolve(dir)), "parent").isPresent() ? parent.properties : Map.of());
            if (pom.artifactId().equals("stepwise-bom")) {
                bom = pom;
            } else if (pom.packaging().equals("jar") && !pom.property("maven.deploy.skip").equals("true")) {
                LIBRARIES.put(pom.artifactId(), pom);
            }
        }
        assertTrue(bom != null, "the reactor has no stepwise-bom module");
        assertTrue(LIBRARIES.containsKey("engine-core"), "no published engine-core found in " + ROOT);
    }

    private static Element pom(Path dir) {
        return Pom.read(dir.resolve("pom.xml"), Map.of()).root;
    }

    @Test
    void theBomListsEveryPublishedModuleAtTheProjectVersion() {
        assertEquals(VERSION, parent.text("version"));
        assertEquals(parent.text("version"), bom.text("version"), "stepwise-bom/pom.xml's version must be the parent's");
        assertEquals(GROUP, bom.text("groupId"));
        assertEquals(List.of(), bomProblems(bom, LIBRARIES.keySet()));
    }

    /** The check itself: a module the BOM lacks, or one it lists that the reactor does not publish, is named. */
    @Test
    void aModuleMissingFromTheBomIsNamed(@TempDir Path tmp) throws IOException {
        Path partial = tmp.resolve("pom.xml");
        Files.writeString(partial, Files.readString(ROOT.resolve("stepwise-bom/pom.xml"))
                .replace("<artifactId>engine-test</artifactId>", "<artifactId>engine-gone</artifactId>"));
        List<String> problems = bomProblems(Pom.read(partial, Map.of()), LIBRARIES.keySet());
        assertEquals(2, problems.size(), problems::toString);
        assertEquals("stepwise-bom lists engine-gone, which is not a published module of the reactor", problems.get(0));
        assertTrue(problems.get(1).startsWith("stepwise-bom does not list these published modules: engine-test. Add each to "
                + "stepwise-bom/pom.xml's dependencyManagement"), problems.get(1));
    }

    private static List<String> bomProblems(Pom bom, Set<String> libraries) {
        Map<String, Element> managed = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Element d : bom.all("dependencyManagement/dependencies/dependency")) {
            String a = Pom.childText(d, "artifactId");
            String type = Pom.childText(d, "type");
            if (a.equals("jackson-bom")) {
                if (!Pom.childText(d, "version").equals(parent.property("jackson.version"))) {
                    problems.add("stepwise-bom imports jackson-bom " + Pom.childText(d, "version") + ", the parent builds with "
                            + parent.property("jackson.version") + ": keep them equal");
                }
                continue;
            }
            managed.put(type.isEmpty() ? a : a + ":" + type, d);
            if (!Pom.childText(d, "groupId").equals(GROUP) || !Pom.childText(d, "version").equals("${project.version}")) {
                problems.add("stepwise-bom lists " + Pom.childText(d, "groupId") + ":" + a + ":"
                        + Pom.childText(d, "version") + "; it must list only dev.stepwise modules at ${project.version}");
            }
            if (!libraries.contains(a)) {
                problems.add("stepwise-bom lists " + a + ", which is not a published module of the reactor");
            }
        }
        Set<String> missing = new TreeSet<>(libraries);
        missing.removeAll(managed.keySet());
        if (!missing.isEmpty()) {
            problems.add("stepwise-bom does not list these published modules: " + String.join(", ", missing)
                    + ". Add each to stepwise-bom/pom.xml's dependencyManagement (version ${project.version}), "
                    + "or set <maven.deploy.skip>true</maven.deploy.skip> in the module's pom if it is not published.");
        }
        for (String a : libraries) {
            if (Files.exists(jar(a, "tests")) && !managed.containsKey(a + ":test-jar")) {
                problems.add("module " + a + " publishes a test-jar that stepwise-bom does not list (type test-jar)");
            }
        }
        return problems;
    }

    @Test
    void thisCheckDependsOnEveryPublishedModuleSoTheReactorBuildsThemFirst() {
        Pom self = Pom.read(ROOT.resolve("packaging-check/pom.xml"), parent);
        Set<String> deps = self.all("dependencies/dependency").stream()
                .map(d -> Pom.childText(d, "artifactId")).collect(Collectors.toSet());
        Set<String> missing = new TreeSet<>(LIBRARIES.keySet());
        missing.removeAll(deps);
        assertEquals(Set.of(), missing, "add these modules to packaging-check/pom.xml's dependencies (scope test)");
    }

    @Test
    void everyLibraryJarNamesItsModuleAndShipsSourcesJavadocAndItsPom() throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (Pom pom : LIBRARIES.values()) {
            String a = pom.artifactId();
            Path jar = jar(a, null);
            if (!Files.exists(jar)) {
                problems.add(a + ": " + ROOT.relativize(jar) + " is missing; run mvn -B verify from the repository root "
                        + "(or -pl packaging-check -am)");
                continue;
            }
            String declared = pom.property("automatic.module.name");
            try (JarFile j = new JarFile(jar.toFile())) {
                String amn = j.getManifest() == null ? null
                        : j.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
                if (amn == null || !amn.equals(declared) || !MODULE_NAME.matcher(amn).matches()) {
                    problems.add(a + ": the jar's Automatic-Module-Name is " + amn + ", expected the module's "
                            + "automatic.module.name property, a Java module name (was \"" + declared + "\")");
                } else if (names.put(amn, a) != null) {
                    problems.add(a + ": Automatic-Module-Name " + amn + " is also " + names.get(amn) + "'s");
                }
                ZipEntry packagedPom = j.getEntry("META-INF/maven/" + GROUP + "/" + a + "/pom.xml");
                if (packagedPom == null) {
                    problems.add(a + ": the jar has no META-INF/maven/" + GROUP + "/" + a + "/pom.xml");
                } else {
                    try (InputStream in = j.getInputStream(packagedPom)) {
                        Pom p = Pom.readBytes(in.readAllBytes(), jar);
                        if (p.text("name").isBlank() || p.text("description").isBlank()) {
                            problems.add(a + ": its pom has no <name> or <description> (Maven Central requires both)");
                        }
                    }
                }
            }
            List<String> sources = javaFiles(ROOT.resolve(a).resolve("src/main/java"));
            problems.addAll(entriesMissing(a, jar(a, "sources"), sources));
            Path main = ROOT.resolve(a).resolve("src/main/java");
            List<String> documented = sources.stream()
                    .filter(s -> !s.contains("/internal/") && !s.endsWith("package-info.java") && declaresPublicType(main.resolve(s)))
                    .map(s -> s.replace(".java", ".html")).toList();
            List<String> javadoc = new ArrayList<>(documented);
            javadoc.add("index.html");
            problems.addAll(entriesMissing(a, jar(a, "javadoc"), javadoc));
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void thePomsCarryWhatMavenCentralRequires() {
        List<String> problems = new ArrayList<>();
        for (Pom p : List.of(parent, bom)) {
            String who = ROOT.relativize(p.file).toString();
            for (String path : List.of("name", "description", "url", "licenses/license/name", "licenses/license/url",
                    "developers/developer/name", "scm/connection", "scm/developerConnection", "scm/url")) {
                String v = p.text(path);
                if (v.isBlank() || v.contains("${")) {
                    problems.add(who + ": <" + path + "> is " + (v.isBlank() ? "missing" : "not resolved: " + v));
                }
            }
        }
        for (String path : List.of("url", "licenses/license/name", "licenses/license/url", "developers/developer/name",
                "scm/connection", "scm/developerConnection", "scm/url")) {
            if (!parent.text(path).equals(bom.text(path))) {
                problems.add("stepwise-bom/pom.xml's <" + path + "> is \"" + bom.text(path) + "\", the parent's is \""
                        + parent.text(path) + "\": keep them equal");
            }
        }
        for (Pom p : LIBRARIES.values()) {
            if (p.text("name").isBlank() || p.text("description").isBlank()) {
                problems.add(p.artifactId() + "/pom.xml: <name> and <description> are required");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theReadmeImportsTheBomAtTheProjectVersion() throws IOException {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md")).stream().map(String::strip).toList();
        int bomLine = readme.indexOf("<artifactId>stepwise-bom</artifactId>");
        assertTrue(bomLine > 0, "README.md does not show the stepwise-bom import");
        assertEquals(List.of("<groupId>dev.stepwise</groupId>", "<artifactId>stepwise-bom</artifactId>",
                        "<version>" + VERSION + "</version>", "<type>pom</type>", "<scope>import</scope>"),
                readme.subList(bomLine - 1, bomLine + 4), "README.md's import of stepwise-bom (at the project's version)");
        for (String module : List.of("engine-core", "engine-sqlite", "engine-test")) {
            assertTrue(LIBRARIES.containsKey(module), module);
            assertTrue(readme.contains("<artifactId>" + module + "</artifactId>"), "README.md does not declare " + module);
        }
    }

    /**
     * Builds src/test/resources/consumer (imports the BOM, declares the modules without versions, runs a
     * test with the kit) with the Maven that runs this build, against a fresh local repository that holds
     * the reactor's jars and poms; every other artifact comes from this build's local repository, as a
     * file mirror, so nothing is downloaded and nothing is installed into it.
     */
    @Test
    void aConsumerProjectBuildsWithTheBomAndNoVersions(@TempDir Path tmp) throws Exception {
        if (Boolean.getBoolean("stepwise.skipConsumerBuild")) {
            return;
        }
        Path repo = tmp.resolve("repository");
        deployTo(repo, "stepwise-parent", "pom", ROOT.resolve("pom.xml"), null);
        deployTo(repo, "stepwise-bom", "pom", ROOT.resolve("stepwise-bom/pom.xml"), null);
        for (String a : LIBRARIES.keySet()) {
            deployTo(repo, a, "pom", ROOT.resolve(a).resolve("pom.xml"), null);
            deployTo(repo, a, "jar", jar(a, null), null);
            if (Files.exists(jar(a, "tests"))) {
                deployTo(repo, a, "jar", jar(a, "tests"), "tests");
            }
        }
        Path project = tmp.resolve("consumer");
        copyTree(Path.of("target/test-classes/consumer"), project);
        String pm = Files.readString(ROOT.resolve("pom.xml"));
        String pluginManagement = pm.substring(pm.indexOf("<pluginManagement>"),
                pm.indexOf("</pluginManagement>") + "</pluginManagement>".length());
        Path consumerPom = project.resolve("pom.xml");
        Files.writeString(consumerPom, Files.readString(consumerPom).replace("<!-- PLUGIN-MANAGEMENT -->", pluginManagement));
        Path settings = tmp.resolve("settings.xml");
        String mirror = Path.of(System.getProperty("stepwise.localRepository")).toUri().toString();
        Files.writeString(settings, """
                <settings>
                  <mirrors>
                    <mirror><id>this-build</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                </settings>
                """.formatted(mirror));

        String mvn = Path.of(System.getProperty("stepwise.mavenHome", "/usr/share/maven"), "bin", "mvn").toString();
        Path log = tmp.resolve("consumer.log");
        Process p = new ProcessBuilder(mvn, "-B", "-s", settings.toString(), "-Dmaven.repo.local=" + repo,
                "-Djansi.noreset=true", "test")
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // A hang guard, not a speed limit: the consumer build takes well under a minute on an idle machine.
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            fail("the consumer build did not finish within 15 minutes; its log:\n" + tail(log));
        }
        assertEquals(0, p.exitValue(), () -> "the consumer build failed; its log:\n" + tail(log));

        List<String> classes = Files.readAllLines(project.resolve("target/stepwise-classes.txt"));
        assertEquals(7, classes.size(), classes::toString);
        for (String line : classes) {
            String location = line.substring(line.indexOf(' ') + 1);
            assertTrue(Path.of(location).startsWith(repo.resolve("dev/stepwise")),
                    () -> "the consumer loaded " + line + ", not from the reactor's jars in " + repo);
        }
    }

    /** Puts a file where a local repository keeps it (as if installed): group/artifact/version/artifact-version[-classifier].ext */
    private static void deployTo(Path repo, String artifactId, String ext, Path file, String classifier) throws IOException {
        Path dir = repo.resolve(GROUP.replace('.', '/')).resolve(artifactId).resolve(VERSION);
        Files.createDirectories(dir);
        String name = artifactId + "-" + VERSION + (classifier == null ? "" : "-" + classifier) + "." + ext;
        Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static Path jar(String artifactId, String classifier) {
        return ROOT.resolve(artifactId).resolve("target")
                .resolve(artifactId + "-" + VERSION + (classifier == null ? "" : "-" + classifier) + ".jar");
    }

    private static List<String> javaFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> f.toString().endsWith(".java")).map(f -> dir.relativize(f).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    private static List<String> entriesMissing(String artifactId, Path jar, List<String> entries) throws IOException {
        if (!Files.exists(jar)) {
            return List.of(artifactId + ": " + ROOT.relativize(jar) + " is missing (Maven Central requires it)");
        }
        try (JarFile j = new JarFile(jar.toFile())) {
            List<String> missing = entries.stream().filter(e -> j.getEntry(e) == null).toList();
            return missing.isEmpty() ? List.of()
                    : List.of(artifactId + ": " + jar.getFileName() + " lacks " + String.join(", ", missing));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : s.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** A top-level public type (a package-private helper beside the public API has no Javadoc page). */
    private static final java.util.regex.Pattern PUBLIC_TYPE = java.util.regex.Pattern.compile(
            "(?m)^public\\s+(?:(?:final|abstract|sealed|non-sealed|static)\\s+)*(?:class|interface|record|enum|@interface)\\s");

    static boolean declaresPublicType(Path source) {
        try {
            return PUBLIC_TYPE.matcher(Files.readString(source)).find();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
