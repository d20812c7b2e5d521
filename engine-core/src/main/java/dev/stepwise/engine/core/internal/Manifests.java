package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.Manifest;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.VersionedDocument;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Builds manifests from job and step rows: the manifest is always a true picture of them. */
public final class Manifests {
    private Manifests() {
    }

    /**
     * The snapshots section of a new job: the recipe version it is pinned to, and every config
     * entry the recipe refers to at its current version, as {@code {key: {version, value}}}.
     *
     * @param recipe the recipe version the job is pinned to
     * @param config finds the current version of a config entry
     * @return {@code {recipe, prompts, presets, providers, voices}}
     */
    public static ObjectNode snapshots(Recipe recipe, BiFunction<DocumentKind, String, VersionedDocument> config) {
        ObjectNode s = Json.object();
        s.set("recipe", recipe.toJson());
        for (DocumentKind kind : DocumentKind.configKinds()) {
            ObjectNode section = s.putObject(kind.plural());
            for (String key : recipe.refs(kind)) {
                VersionedDocument doc = config.apply(kind, key);
                ObjectNode entry = section.putObject(key);
                entry.put("version", doc.version());
                entry.set("value", doc.content());
            }
        }
        return s;
    }

    /**
     * @param job the job (its persisted manifest supplies the snapshots)
     * @return the snapshots recorded when the job was created
     */
    public static JsonNode snapshotsOf(Job job) {
        if (job.manifest() == null || !job.manifest().has("snapshots")) {
            throw new IllegalStateException("job " + job.id() + " has no manifest snapshots; it was not created by this engine");
        }
        return job.manifest().get("snapshots");
    }

    /**
     * @param job the job
     * @return the recipe copy the job was created with
     */
    public static Recipe recipeOf(Job job) {
        return Recipe.fromJson(snapshotsOf(job).get("recipe"));
    }

    /**
     * Builds the manifest; steps that ran more than once carry their {@code attempt_log}, read
     * from their attempt records.
     *
     * @param job       the job row
     * @param steps     its step rows in order
     * @param snapshots its snapshots
     * @return the manifest
     */
    public static Manifest build(Job job, List<JobStep> steps, JsonNode snapshots) {
        return build(job, steps, snapshots, retriesOf(job));
    }

    /**
     * @param job a job
     * @return the retries from a step recorded in its persisted manifest, oldest first
     */
    public static List<Manifest.Retry> retriesOf(Job job) {
        List<Manifest.Retry> out = new ArrayList<>();
        if (job.manifest() != null) {
            job.manifest().path("retries").forEach(r -> out.add(Manifest.Retry.fromJson(r)));
        }
        return out;
    }

    /**
     * Builds the manifest with the given retry history (the job's own, plus a retry being made).
     *
     * @param job       the job row
     * @param steps     its step rows in order
     * @param snapshots its snapshots
     * @param retries   its retries from a step, oldest first
     * @return the manifest
     */
    public static Manifest build(Job job, List<JobStep> steps, JsonNode snapshots, List<Manifest.Retry> retries) {
        List<Manifest.StepEntry> entries = new ArrayList<>(steps.size());
        for (JobStep s : steps) {
            entries.add(new Manifest.StepEntry(s.stepKey(), s.status(), s.startedAt(), s.completedAt(), s.durationMs(),
                    s.outputRefs(), s.attempts(), s.inputHash(), s.error(), s.skipReason(),
                    showsAttemptLog(s) ? s.attemptLog() : List.of(), ArtifactRef.findIn(s.outputRefs()), s.cachedFrom()));
        }
        JsonNode output = job.status() == JobStatus.COMPLETED && !steps.isEmpty()
                ? steps.get(steps.size() - 1).outputRefs()
                : null;
        return new Manifest(Manifest.VERSION, job.id(), job.status(), job.createdAt(), job.updatedAt(), job.input(),
                snapshots, entries, output, metrics(job, steps), retries);
    }

    /**
     * The job's totals. Usage is what the steps' outputs report at their top level
     * ({@code usage.input_tokens}, {@code usage.output_tokens}, {@code characters}: the shape the
     * model and speech steps return), summed over the steps this job executed; a step reused
     * from another job through the step cache ({@code cachedFrom}) is left out: it cost nothing.
     */
    static Manifest.Metrics metrics(Job job, List<JobStep> steps) {
        long inputTokens = 0;
        long outputTokens = 0;
        long characters = 0;
        for (JobStep s : steps) {
            JsonNode out = s.outputRefs();
            if (out == null || !out.isObject() || s.cachedFrom() != null) {
                continue;
            }
            inputTokens += count(out.path("usage").path("input_tokens"));
            outputTokens += count(out.path("usage").path("output_tokens"));
            characters += count(out.path("characters"));
        }
        return new Manifest.Metrics(job.durationMs(), steps.size(), inputTokens, outputTokens, characters);
    }

    private static long count(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() ? Math.max(0, n.asLong()) : 0;
    }

    /** A step shows its attempt log when it ran more than once, or when an attempt carries trace ids. */
    private static boolean showsAttemptLog(JobStep s) {
        return s.attempts() > 1 || s.attemptLog().stream().anyMatch(a -> a.trace().isPresent());
    }
}
