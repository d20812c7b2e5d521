package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.Manifest;
import dev.stepwise.engine.api.Recipe;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Builds manifests from job and step rows: the manifest is always a true picture of them. */
public final class Manifests {
    private Manifests() {
    }

    /**
     * The snapshots section of a new job: the recipe as it is now, and the config it uses.
     *
     * @param recipe the recipe version the job is pinned to
     * @return {@code {recipe, prompts, presets, providers}}
     */
    public static ObjectNode snapshots(Recipe recipe) {
        ObjectNode s = Json.object();
        s.set("recipe", recipe.toJson());
        s.putObject("prompts");
        s.putObject("presets");
        s.putObject("providers");
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
     * @param job       the job row
     * @param steps     its step rows in order
     * @param snapshots its snapshots
     * @return the manifest
     */
    public static Manifest build(Job job, List<JobStep> steps, JsonNode snapshots) {
        List<Manifest.StepEntry> entries = new ArrayList<>(steps.size());
        for (JobStep s : steps) {
            entries.add(new Manifest.StepEntry(s.stepKey(), s.status(), s.startedAt(), s.completedAt(), s.durationMs(),
                    s.outputRefs(), s.attempts(), s.inputHash(), s.error(), s.skipReason()));
        }
        JsonNode output = job.status() == JobStatus.COMPLETED && !steps.isEmpty()
                ? steps.get(steps.size() - 1).outputRefs()
                : null;
        return new Manifest(Manifest.VERSION, job.id(), job.status(), job.createdAt(), job.updatedAt(), job.input(),
                snapshots, entries, output, new Manifest.Metrics(job.durationMs(), steps.size()));
    }
}
