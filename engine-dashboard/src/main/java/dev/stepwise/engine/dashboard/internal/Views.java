package dev.stepwise.engine.dashboard.internal;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The API's JSON shapes of jobs, steps and log lines (snake_case, as in the manifest). */
public final class Views {
    /** Longest output preview of a step, in characters. */
    public static final int OUTPUT_PREVIEW_CHARS = 300;
    /** The skip reason of a step whose checkpoint was reused. */
    public static final String FROM_CHECKPOINT = "checkpoint";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Views() {
    }

    /**
     * @param job       a job
     * @param withInput whether to include its input (the list leaves it out)
     * @return its JSON
     */
    public static ObjectNode job(Job job, boolean withInput) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", job.id());
        n.put("recipe", job.recipeId());
        n.put("recipe_slug", job.recipeSlug());
        n.put("recipe_version", job.recipeVersion());
        n.put("status", job.status().value());
        n.put("terminal", job.status().isTerminal());
        n.put("current_step", job.currentStep());
        n.put("progress", job.progress());
        n.put("last_error", job.lastError());
        n.put("created_at", time(job.createdAt()));
        n.put("updated_at", time(job.updatedAt()));
        n.put("started_at", time(job.startedAt()));
        n.put("finished_at", time(job.finishedAt()));
        n.put("run_at", time(job.runAt()));
        n.put("duration_ms", job.durationMs());
        n.put("priority", job.priority());
        n.put("cancel_requested", job.cancelRequested());
        if (withInput) {
            n.set("input", job.input());
        }
        return n;
    }

    /**
     * @param job    the job
     * @param steps  its steps in recipe order
     * @param recipe the recipe copy it runs (for {@code depends_on})
     * @return {@code {job, steps, graph}}
     */
    public static ObjectNode jobDetail(Job job, List<JobStep> steps, Recipe recipe) {
        ObjectNode n = JSON.createObjectNode();
        n.set("job", job(job, true));
        ArrayNode list = n.putArray("steps");
        for (JobStep s : steps) {
            StepDefinition def = recipe.steps().stream().filter(d -> d.key().equals(s.stepKey())).findFirst().orElse(null);
            list.add(step(s, def == null ? List.of() : def.dependsOn()));
        }
        n.put("graph", recipe.isGraph());
        return n;
    }

    private static ObjectNode step(JobStep s, List<String> dependsOn) {
        ObjectNode n = JSON.createObjectNode();
        n.put("key", s.stepKey());
        n.put("order", s.stepOrder());
        n.put("type", s.stepType());
        n.put("status", s.status().value());
        n.put("attempts", s.attempts());
        n.put("duration_ms", s.durationMs());
        n.put("started_at", time(s.startedAt()));
        n.put("completed_at", time(s.completedAt()));
        n.put("error", s.error());
        n.put("skip_reason", s.skipReason());
        n.put("from_checkpoint", FROM_CHECKPOINT.equals(s.skipReason()));
        n.put("interruptions", s.interruptions());
        n.put("output_preview", preview(s.outputRefs()));
        ArrayNode deps = n.putArray("depends_on");
        dependsOn.forEach(deps::add);
        return n;
    }

    /**
     * @param e a log line
     * @return {@code {cursor, at, level, step, attempt, message}}
     */
    public static ObjectNode log(LogEntry e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("cursor", e.cursor());
        n.put("at", time(e.at()));
        n.put("level", e.level().value());
        n.put("step", e.stepKey());
        n.put("attempt", e.attempt());
        n.put("message", e.message());
        return n;
    }

    private static String preview(JsonNode output) {
        if (output == null || output.isNull()) {
            return null;
        }
        String text = JSON.writeValueAsString(output);
        return text.length() <= OUTPUT_PREVIEW_CHARS ? text : text.substring(0, OUTPUT_PREVIEW_CHARS) + "\u2026";
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
