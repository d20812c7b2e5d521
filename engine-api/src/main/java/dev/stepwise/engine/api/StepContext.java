package dev.stepwise.engine.api;

import java.time.Clock;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** What a running step sees. One instance per execution; not shared between threads. */
public interface StepContext {

    /** @return the job's id */
    String jobId();

    /** @return the step's key in the recipe */
    String stepKey();

    /** @return the step's type name */
    String stepType();

    /** @return this execution's attempt number, 1 for the first (counts across runs and retries) */
    int attempt();

    /** @return the job's input */
    JsonNode input();

    /** @return the step's params from the recipe (an empty object when none) */
    JsonNode params();

    /** @return outputs of the steps before this one, by step key, in recipe order */
    Map<String, JsonNode> outputs();

    /**
     * @param stepKey the key of an earlier step
     * @return that step's output
     * @throws IllegalArgumentException if no earlier step has that key
     */
    JsonNode output(String stepKey);

    /**
     * A config entry the recipe refers to, as it was when the job was created (from the
     * manifest's snapshot, never from the live config). Secret references
     * ({@code {"secret": "env:NAME"}}) in it are resolved to their values.
     *
     * @param kind prompt, preset, provider or voice
     * @param key  the entry's key
     * @return the entry's value
     * @throws IllegalArgumentException if the recipe does not refer to that entry, or a secret
     *                                  reference cannot be resolved
     */
    JsonNode config(DocumentKind kind, String key);

    /** @return SHA-256 (hex) of everything this execution depends on */
    String inputHash();

    /**
     * A key that stays the same across re-executions of this step with the same input
     * (job id + step key + input hash): pass it to outside services to make calls idempotent.
     *
     * @return the key
     */
    String idempotencyKey();

    /** @return a logger whose entries are persisted in the job's log, with timestamps */
    StepLogger log();

    /** @return true once a cancel of the job was requested; a long step should check it and stop */
    boolean isCancelled();

    /**
     * Throws if a cancel was requested, so a long step can stop at a safe point.
     *
     * @throws JobCancelledException if a cancel was requested
     */
    void throwIfCancelled();

    /** @return the engine's clock */
    Clock clock();

    /**
     * Where this step keeps files too big for its JSON output. Put the bytes, then return the
     * reference's {@link ArtifactRef#toJson()} somewhere in the output: the engine records that
     * the step produced it, checks it before reusing the checkpoint, and keeps it from garbage
     * collection while a step row refers to it.
     *
     * @return the engine's artifact store
     */
    ArtifactStore artifacts();
}
