package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Manifest;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.VersionedDocument;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import tools.jackson.databind.node.ArrayNode;
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
     * @return {@code {recipe, prompts, presets, providers}}
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
     * @param job       the job row
     * @param steps     its step rows in order
     * @param snapshots its snapshots
     * @return the manifest
     */
    public static Manifest build(Job job, List<JobStep> steps, JsonNode snapshots) {
        return build(job, steps, snapshots, List.of());
    }

    /** Prefix of the log line that starts an attempt: {@code "attempt N started"}. */
    public static final String STARTED = " started";
    /** Prefix of the log line of a failed attempt: {@code "attempt N failed: reason"}. */
    public static final String FAILED = " failed: ";
    /** Prefix of the log line of a scheduled retry: {@code "retrying in X ms (...)"}. */
    public static final String RETRYING = "retrying in ";

    /**
     * @param steps a job's steps
     * @return whether any step ran more than once (then its manifest carries an attempt log)
     */
    public static boolean hasRetries(List<JobStep> steps) {
        return steps.stream().anyMatch(s -> s.attempts() > 1);
    }

    /**
     * Builds the manifest; steps that ran more than once get an {@code attempt_log} made from
     * the job's log: each attempt's start, error and the delay before the next.
     *
     * @param job       the job row
     * @param steps     its step rows in order
     * @param snapshots its snapshots
     * @param logs      its committed log lines (may be empty)
     * @return the manifest
     */
    public static Manifest build(Job job, List<JobStep> steps, JsonNode snapshots, List<LogEntry> logs) {
        return build(job, steps, snapshots, logs, retriesOf(job));
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
     * @param logs      its committed log lines (may be empty)
     * @param retries   its retries from a step, oldest first
     * @return the manifest
     */
    public static Manifest build(Job job, List<JobStep> steps, JsonNode snapshots, List<LogEntry> logs,
            List<Manifest.Retry> retries) {
        List<Manifest.StepEntry> entries = new ArrayList<>(steps.size());
        for (JobStep s : steps) {
            entries.add(new Manifest.StepEntry(s.stepKey(), s.status(), s.startedAt(), s.completedAt(), s.durationMs(),
                    s.outputRefs(), s.attempts(), s.inputHash(), s.error(), s.skipReason(),
                    s.attempts() > 1 && !logs.isEmpty() ? attemptLog(s.stepKey(), logs) : null));
        }
        JsonNode output = job.status() == JobStatus.COMPLETED && !steps.isEmpty()
                ? steps.get(steps.size() - 1).outputRefs()
                : null;
        return new Manifest(Manifest.VERSION, job.id(), job.status(), job.createdAt(), job.updatedAt(), job.input(),
                snapshots, entries, output, new Manifest.Metrics(job.durationMs(), steps.size()), retries);
    }

    private static ArrayNode attemptLog(String stepKey, List<LogEntry> logs) {
        Map<Integer, ObjectNode> byAttempt = new TreeMap<>();
        for (LogEntry l : logs) {
            if (!stepKey.equals(l.stepKey()) || l.attempt() < 1) {
                continue;
            }
            String prefix = "attempt " + l.attempt();
            String m = l.message();
            if (m.equals(prefix + STARTED)) {
                entry(byAttempt, l.attempt()).put("started_at", l.at().toString());
            } else if (m.startsWith(prefix + FAILED)) {
                entry(byAttempt, l.attempt()).put("error", m.substring((prefix + FAILED).length()));
            } else if (m.startsWith(RETRYING)) {
                int end = m.indexOf(" ms", RETRYING.length());
                if (end > 0) {
                    entry(byAttempt, l.attempt()).put("retry_delay_ms", Long.parseLong(m.substring(RETRYING.length(), end)));
                }
            }
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        byAttempt.values().forEach(out::add);
        return out;
    }

    private static ObjectNode entry(Map<Integer, ObjectNode> byAttempt, int attempt) {
        return byAttempt.computeIfAbsent(attempt, a -> {
            ObjectNode n = Json.object();
            n.put("attempt", a);
            n.putNull("started_at");
            n.putNull("error");
            n.putNull("retry_delay_ms");
            return n;
        });
    }
}
