package dev.stepwise.spring.boot.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The starter ships the configuration metadata IDEs complete from, and the properties table of
 * {@code docs/spring-boot.md} lists exactly those properties with their defaults.
 */
class MetadataTest {
    static final String METADATA = "META-INF/spring-configuration-metadata.json";
    static final Path DOC = Path.of("..", "docs", "spring-boot.md");
    static final Pattern ROW = Pattern.compile("^\\| `(stepwise\\.[a-z.-]+)` \\| ([^|]+) \\|");

    /** property name -> default as metadata states it ("none" when it states none). */
    static Map<String, String> metadata() throws IOException {
        List<URL> urls = Collections.list(MetadataTest.class.getClassLoader().getResources(METADATA));
        List<URL> ours = urls.stream().filter(u -> u.toString().contains("stepwise-spring-boot-starter")).toList();
        assertThat(ours).as("the starter's " + METADATA + " among " + urls).hasSize(1);
        JsonNode root;
        try (InputStream in = ours.get(0).openStream()) {
            root = StarterContextTest.JSON.readTree(in);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode p : root.path("properties")) {
            assertThat(p.path("description").asString()).as("description of " + p.path("name")).isNotBlank();
            JsonNode d = p.get("defaultValue");
            String value;
            if (d == null) {
                value = "none";
            } else if (d.isArray()) {
                List<String> parts = new ArrayList<>();
                d.forEach(e -> parts.add(e.asString()));
                value = String.join(",", parts);
            } else {
                value = d.asString();
            }
            out.put(p.path("name").asString(), value);
        }
        return out;
    }

    @Test
    void theStarterShipsMetadataForEveryProperty() throws IOException {
        Map<String, String> meta = metadata();
        assertThat(meta).containsKeys("stepwise.store", "stepwise.sqlite.path", "stepwise.postgres.schema",
                "stepwise.recipes.locations", "stepwise.engine.lease-ttl", "stepwise.workers.enabled",
                "stepwise.workers.count", "stepwise.workers.shutdown-grace", "stepwise.workers.recipe-limits",
                "stepwise.dashboard.enabled", "stepwise.dashboard.port");
        assertThat(meta).containsEntry("stepwise.workers.shutdown-grace", "30s").containsEntry("stepwise.store", "auto");
    }

    @Test
    void theDocsTableListsExactlyTheMetadataWithItsDefaults() throws IOException {
        Map<String, String> documented = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DOC)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                documented.put(m.group(1), m.group(2).strip().replace("`", ""));
            }
        }
        assertThat(documented).isEqualTo(metadata());
    }
}
