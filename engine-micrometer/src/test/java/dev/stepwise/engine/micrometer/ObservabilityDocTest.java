package dev.stepwise.engine.micrometer;

import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/observability.md's metrics table names what the module registers, with the tags it registers. */
class ObservabilityDocTest {
    private static final Path DOC = Path.of("..", "docs", "observability.md");
    private static final Pattern ROW = Pattern.compile("(?m)^\\| `(stepwise\\.[a-z.]+)` \\| [^|]+ \\| ([^|]+) \\|");

    @TempDir
    Path dir;

    @Test
    void theMetricsTableListsEveryMeterWithItsTags() throws Exception {
        Map<String, Set<String>> documented = new LinkedHashMap<>();
        Matcher m = ROW.matcher(Files.readString(DOC));
        while (m.find()) {
            documented.put(m.group(1), Arrays.stream(m.group(2).split(",")).map(t -> t.strip().replace("`", ""))
                    .collect(Collectors.toCollection(TreeSet::new)));
        }

        Set<String> constants = new TreeSet<>();
        for (Field f : StepwiseObservability.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class && ((String) f.get(null)).startsWith("stepwise.")
                    && !f.getName().equals("JOB_ID") && !f.getName().equals("ATTEMPT")) {
                constants.add((String) f.get(null));
            }
        }
        constants.add(StepwiseObservability.JOB_OBSERVATION + ".active");
        constants.add(StepwiseObservability.STEP_OBSERVATION + ".active");
        assertEquals(constants, new TreeSet<>(documented.keySet()), "the table's names are the module's meter names");

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        AtomicInteger calls = new AtomicInteger();
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
                JobEngine engine = JobEngine.builder(store)
                        .eventListener(StepwiseObservability.builder(observations, meters).build())
                        .step("flaky", ctx -> {
                            if (calls.incrementAndGet() == 1) {
                                throw new IllegalStateException("once");
                            }
                            return Map.of();
                        })
                        .recipe(Recipe.builder("doc").step(StepDefinition.builder("a", "flaky")
                                .retry(RetryPolicy.builder().maxAttempts(2).initialDelay(Duration.ZERO).jitter(false).build())
                                .build()).build())
                        .build()) {
            engine.run(engine.createJob("doc", obj()).id());
        }
        Map<String, Set<String>> registered = new LinkedHashMap<>();
        for (Meter meter : meters.getMeters()) {
            registered.computeIfAbsent(meter.getId().getName(), k -> new TreeSet<>())
                    .addAll(meter.getId().getTags().stream().map(Tag::getKey).toList());
        }
        assertTrue(registered.size() >= 7, registered::toString);
        registered.forEach((name, tags) -> {
            assertTrue(documented.containsKey(name), () -> name + " is registered but not in " + DOC);
            assertEquals(documented.get(name), tags, () -> "tags of " + name);
        });
    }
}
