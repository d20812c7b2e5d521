package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A job's manifest: the versioned record of what it ran, with which configuration, and what it
 * produced. {@link #toJson()} writes the ADR's contract with its exact snake_case keys, plus a
 * few extra fields ({@code status}, {@code recipe}; {@code attempts}, {@code input_hash},
 * {@code error}, {@code skip_reason} on steps). It validates against {@value #SCHEMA_RESOURCE}.
 *
 * @param version   the contract version, {@value #VERSION}
 * @param jobId     the job
 * @param status    the job's status when the manifest was built
 * @param createdAt the job's creation time
 * @param updatedAt the job's last write
 * @param input     the job input
 * @param snapshots {@code {recipe, prompts, presets, providers, voices}} as they were when the job was
 *                  created ({@code voices} is absent from jobs created before voices were a kind)
 * @param steps     one entry per step, in recipe order
 * @param output    the job's output (the last step's output once completed), or null
 * @param metrics   totals
 * @param retries   every retry from a step ({@code JobEngine.retryFrom}), oldest first; written as
 *                  {@code retries} only when there is one
 */
public record Manifest(String version, String jobId, JobStatus status, Instant createdAt, Instant updatedAt,
        JsonNode input, JsonNode snapshots, List<StepEntry> steps, JsonNode output, Metrics metrics, List<Retry> retries) {

    /** The manifest contract version this library writes. */
    public static final String VERSION = "1.0.0";

    /** Classpath resource of the manifest's JSON Schema (draft 2020-12). */
    public static final String SCHEMA_RESOURCE = "/dev/stepwise/engine/api/manifest-1.0.0.schema.json";

    /** Validates and copies. */
    public Manifest {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(snapshots, "snapshots");
        Objects.requireNonNull(metrics, "metrics");
        steps = List.copyOf(steps);
        retries = retries == null ? List.of() : List.copyOf(retries);
    }

    /**
     * One retry of the job from a step: that step and every step downstream of it were reset
     * (their checkpoints dropped) and the job handed back {@code pending}.
     *
     * @param at             when it was asked for
     * @param fromStep       the step it was retried from
     * @param resetSteps     the steps reset: {@code fromStep} and its downstream steps, in recipe order
     * @param previousStatus the job's status before the retry
     */
    public record Retry(Instant at, String fromStep, List<String> resetSteps, JobStatus previousStatus) {
        /** Validates and copies. */
        public Retry {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(fromStep, "fromStep");
            Objects.requireNonNull(previousStatus, "previousStatus");
            resetSteps = List.copyOf(resetSteps);
            if (!resetSteps.contains(fromStep)) {
                throw new IllegalArgumentException("resetSteps must contain fromStep '" + fromStep + "', was " + resetSteps);
            }
        }

        /** @return {@code {at, from_step, reset_steps, previous_status}} */
        public ObjectNode toJson() {
            ObjectNode n = JsonNodeFactory.instance.objectNode();
            n.put("at", at.toString());
            n.put("from_step", fromStep);
            ArrayNode keys = n.putArray("reset_steps");
            resetSteps.forEach(keys::add);
            n.put("previous_status", previousStatus.value());
            return n;
        }

        /**
         * @param json what {@link #toJson()} wrote
         * @return the retry
         * @throws IllegalArgumentException if a field is missing or malformed
         */
        public static Retry fromJson(JsonNode json) {
            List<String> keys = new ArrayList<>();
            json.required("reset_steps").forEach(k -> keys.add(k.asString()));
            return new Retry(Instant.parse(json.required("at").asString()), json.required("from_step").asString(), keys,
                    JobStatus.fromValue(json.required("previous_status").asString()));
        }
    }

    /**
     * One step in the manifest.
     *
     * @param key         step key
     * @param status      step status
     * @param startedAt   start of its last execution, or null
     * @param completedAt end of its last execution, or null
     * @param durationMs  wall time of its last execution
     * @param output      its committed output, or null
     * @param attempts    executions started
     * @param inputHash   its input hash, or null
     * @param error       its last error, or null
     * @param skipReason  why it was skipped, or null
     * @param attemptLog  for a step that ran more than once, or whose attempts carry trace ids: each
     *                    attempt (shown as {@code attempt_log}, {@link Attempt#toJson()} per entry); empty
     *                    otherwise (then not shown)
     * @param artifacts   the artifacts its output refers to (shown as {@code artifacts} when any)
     * @param cachedFrom  the job whose identical execution it reused (skip reason {@code cache}), or null
     */
    public record StepEntry(String key, StepStatus status, Instant startedAt, Instant completedAt, long durationMs,
            JsonNode output, int attempts, String inputHash, String error, String skipReason, List<Attempt> attemptLog,
            List<ArtifactRef> artifacts, String cachedFrom) {
        /** Copies the lists. */
        public StepEntry {
            attemptLog = attemptLog == null ? List.of() : List.copyOf(attemptLog);
            artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
        }
    }

    /**
     * Totals. The usage totals add up what the job's steps report in their outputs (top-level
     * {@code usage.input_tokens}, {@code usage.output_tokens} and {@code characters}), over the
     * steps this job executed: a step reused from another job's execution (the step cache) cost
     * this job nothing and is not counted.
     *
     * @param totalDurationMs       the job's running time, over all its runs
     * @param stepCount             how many steps the recipe has
     * @param inputTokens           model input tokens, summed ({@code input_tokens})
     * @param outputTokens          model output tokens, summed ({@code output_tokens})
     * @param charactersSynthesized characters sent to speech synthesis, summed ({@code characters_synthesized})
     */
    public record Metrics(long totalDurationMs, int stepCount, long inputTokens, long outputTokens,
            long charactersSynthesized) {
        /** Checks that no total is negative. */
        public Metrics {
            if (inputTokens < 0 || outputTokens < 0 || charactersSynthesized < 0) {
                throw new IllegalArgumentException("usage totals must be >= 0, were input_tokens " + inputTokens
                        + ", output_tokens " + outputTokens + ", characters_synthesized " + charactersSynthesized);
            }
        }
    }

    /** @return the manifest as JSON, with the contract's keys */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", version);
        root.put("job_id", jobId);
        root.put("status", status.value());
        root.put("created_at", createdAt.toString());
        root.put("updated_at", updatedAt.toString());
        root.set("input", input);
        root.set("snapshots", snapshots);
        ArrayNode arr = root.putArray("steps");
        for (StepEntry s : steps) {
            ObjectNode n = arr.addObject();
            n.put("key", s.key());
            n.put("status", s.status().value());
            n.put("started_at", s.startedAt() == null ? null : s.startedAt().toString());
            n.put("completed_at", s.completedAt() == null ? null : s.completedAt().toString());
            putNumber(n, "duration_ms", s.durationMs());
            n.set("output", s.output() == null ? f.nullNode() : s.output());
            n.put("attempts", s.attempts());
            n.put("input_hash", s.inputHash());
            n.put("error", s.error());
            n.put("skip_reason", s.skipReason());
            if (!s.artifacts().isEmpty()) {
                ArrayNode refs = n.putArray("artifacts");
                s.artifacts().forEach(a -> refs.add(a.toJson()));
            }
            if (s.cachedFrom() != null) {
                n.put("cached_from", s.cachedFrom());
            }
            if (!s.attemptLog().isEmpty()) {
                ArrayNode log = n.putArray("attempt_log");
                s.attemptLog().forEach(a -> log.add(a.toJson()));
            }
        }
        root.set("output", output == null ? f.nullNode() : output);
        ObjectNode m = root.putObject("metrics");
        putNumber(m, "total_duration_ms", metrics.totalDurationMs());
        m.put("step_count", metrics.stepCount());
        putNumber(m, "input_tokens", metrics.inputTokens());
        putNumber(m, "output_tokens", metrics.outputTokens());
        putNumber(m, "characters_synthesized", metrics.charactersSynthesized());
        if (!retries.isEmpty()) {
            ArrayNode r = root.putArray("retries");
            retries.forEach(x -> r.add(x.toJson()));
        }
        return root;
    }

    /**
     * Reads a manifest written by {@link #toJson()}.
     *
     * @param json manifest JSON
     * @return the manifest
     * @throws IllegalArgumentException if a required field is missing or malformed
     */
    private static List<Attempt> attempts(JsonNode log) {
        List<Attempt> out = new ArrayList<>();
        if (log != null && log.isArray()) {
            log.forEach(a -> out.add(Attempt.fromJson(a)));
        }
        return out;
    }

    public static Manifest fromJson(JsonNode json) {
        try {
            List<StepEntry> steps = new ArrayList<>();
            for (JsonNode n : json.required("steps")) {
                steps.add(new StepEntry(n.required("key").asString(), StepStatus.fromValue(n.required("status").asString()),
                        instant(n.get("started_at")), instant(n.get("completed_at")), n.required("duration_ms").asLong(),
                        nullable(n.get("output")), n.path("attempts").asInt(0), text(n.get("input_hash")),
                        text(n.get("error")), text(n.get("skip_reason")), attempts(n.get("attempt_log")),
                        ArtifactRef.findIn(n.get("artifacts")), text(n.get("cached_from"))));
            }
            JsonNode m = json.required("metrics");
            List<Retry> retries = new ArrayList<>();
            json.path("retries").forEach(r -> retries.add(Retry.fromJson(r)));
            return new Manifest(json.required("version").asString(), json.required("job_id").asString(),
                    JobStatus.fromValue(json.path("status").asString("pending")), instant(json.required("created_at")),
                    instant(json.required("updated_at")), json.required("input"), json.required("snapshots"), steps,
                    nullable(json.get("output")),
                    new Metrics(m.required("total_duration_ms").asLong(), m.required("step_count").asInt(),
                            m.path("input_tokens").asLong(0), m.path("output_tokens").asLong(0),
                            m.path("characters_synthesized").asLong(0)), retries);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a valid manifest: " + e.getMessage(), e);
        }
    }

    /** Writes ints as ints, so a manifest equals itself after a JSON round trip. */
    private static void putNumber(ObjectNode node, String field, long value) {
        if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
            node.put(field, (int) value);
        } else {
            node.put(field, value);
        }
    }

    private static Instant instant(JsonNode n) {
        return n == null || n.isNull() ? null : Instant.parse(n.asString());
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asString();
    }

    private static JsonNode nullable(JsonNode n) {
        return n == null || n.isNull() ? null : n;
    }
}
