package dev.stepwise.engine.test;

import dev.stepwise.engine.core.ManifestSchema;
import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fluent assertions on a job's manifest ({@code engine.manifest(jobId)}, a file a
 * {@code FileManifestWriter} wrote, or {@link JobAssert#manifest()}).
 *
 * <pre>{@code
 * ManifestAssert.assertThat(engine.manifest(job.id())).isValid().hasStatus("completed")
 *         .hasStepCount(3).stepStatus("fetch", "success").hasValue("/output/total", 28);
 * }</pre>
 *
 * <p>A failed assertion throws {@link AssertionError} naming the expected and the actual value.
 */
public final class ManifestAssert {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JsonNode manifest;

    private ManifestAssert(JsonNode manifest) {
        this.manifest = manifest;
    }

    /**
     * @param manifest a manifest
     * @return assertions on it
     */
    public static ManifestAssert assertThat(JsonNode manifest) {
        return new ManifestAssert(Objects.requireNonNull(manifest, "manifest"));
    }

    /** @return this, if the manifest is valid against the published manifest schema (every violation is listed if not) */
    public ManifestAssert isValid() {
        List<String> violations = ManifestSchema.validate(manifest);
        if (!violations.isEmpty()) {
            throw new AssertionError("expected the manifest of job " + manifest.path("job_id").asString()
                    + " to be valid against the manifest schema, but it has " + violations.size() + " violation(s):\n  "
                    + String.join("\n  ", violations));
        }
        return this;
    }

    /**
     * @param status the job status the manifest must record ({@code "completed"}, ...)
     * @return this
     */
    public ManifestAssert hasStatus(String status) {
        return hasValue("/status", status);
    }

    /**
     * @param count how many steps {@code metrics.step_count} and {@code steps} must hold
     * @return this
     */
    public ManifestAssert hasStepCount(int count) {
        hasValue("/metrics/step_count", count);
        if (manifest.path("steps").size() != count) {
            throw new AssertionError("expected the manifest to list " + count + " steps, but it lists "
                    + manifest.path("steps").size() + ": " + stepKeys());
        }
        return this;
    }

    /**
     * @param key    a step key
     * @param status the status the manifest must record for it ({@code "success"}, {@code "skipped"}, ...)
     * @return this
     */
    public ManifestAssert stepStatus(String key, String status) {
        JsonNode step = step(key);
        if (!status.equals(step.path("status").asString())) {
            throw new AssertionError("expected step '" + key + "' in the manifest to be " + status + ", but it is "
                    + step.path("status").asString() + " (attempts " + step.path("attempts") + ", skip_reason "
                    + step.path("skip_reason") + ", error " + step.path("error") + ")");
        }
        return this;
    }

    /**
     * @param pointer  a JSON pointer into the manifest, e.g. {@code /output/total} or {@code /snapshots/recipe/version}
     * @param expected the value it must hold: a {@code JsonNode}, or anything Jackson turns into JSON
     * @return this
     */
    public ManifestAssert hasValue(String pointer, Object expected) {
        JsonNode want = expected instanceof JsonNode n ? n : JSON.valueToTree(expected);
        JsonNode got = manifest.at(pointer);
        if (got.isMissingNode()) {
            throw new AssertionError("expected the manifest to hold " + want + " at " + pointer
                    + ", but it has no value there");
        }
        if (!sameJson(want, got)) {
            throw new AssertionError("expected the manifest to hold " + want + " at " + pointer + ", but it holds " + got);
        }
        return this;
    }

    /**
     * @param expected the job's output, as JSON text (compared as JSON)
     * @return this
     */
    public ManifestAssert hasOutput(String expected) {
        return hasValue("/output", JSON.readTree(expected));
    }

    /** @return the manifest */
    public JsonNode manifest() {
        return manifest;
    }

    private JsonNode step(String key) {
        for (JsonNode s : manifest.path("steps")) {
            if (key.equals(s.path("key").asString())) {
                return s;
            }
        }
        throw new AssertionError("expected the manifest to have a step '" + key + "', but its steps are " + stepKeys());
    }

    private List<String> stepKeys() {
        return manifest.path("steps").valueStream().map(s -> s.path("key").asString()).toList();
    }

    /** Numbers compare by value (an int 28 equals a long 28). */
    private static boolean sameJson(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }
}
