package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Whether a ready step needs to execute: its own valid checkpoint (same input hash, artifacts
 * intact), or for a step declared {@code cache}, the newest identical successful execution of any
 * job (same type and input hash, artifacts intact), is reused instead.
 */
final class Reuse {
    /** Skip reason of a step whose own valid checkpoint was reused. */
    static final String CHECKPOINT = "checkpoint";
    /** Skip reason of a step whose identical execution in another job was reused. */
    static final String CACHE = "cache";

    private final EngineServices services;
    private final String jobId;
    private final java.util.Set<String> retriedFrom = new java.util.HashSet<>();

    /**
     * @param services the engine
     * @param job      the job as read (its manifest's {@code retries} name the steps a
     *                 {@code retryFrom} reset: they never take the cache)
     */
    Reuse(EngineServices services, dev.stepwise.engine.api.Job job) {
        this.services = services;
        this.jobId = job.id();
        Manifests.retriesOf(job).forEach(r -> retriedFrom.addAll(r.resetSteps()));
    }

    /** What to do with a ready step. */
    sealed interface Decision {
        /** @param row the step, skipped with its checkpoint */
        record Checkpoint(JobStep row) implements Decision {
        }

        /** @param row the step, skipped with the output of an earlier job */
        record Cached(JobStep row) implements Decision {
        }

        /** @param note why a checkpoint or cache entry was not reused, if one existed */
        record Execute(Optional<String> note) implements Decision {
        }
    }

    /**
     * @param row         the step as it is
     * @param def         its definition
     * @param hash        its input hash in this run
     * @return the decision; the cache is bypassed for a step that ran before in this job (a retry
     *         of it) or that a {@code retryFrom} reset
     */
    Decision decide(JobStep row, StepDefinition def, String hash) {
        boolean cacheBypass = row.attempts() > 0 || retriedFrom.contains(def.key());
        Optional<String> note = Optional.empty();
        if (row.status().hasOutput() && hash.equals(row.inputHash()) && row.outputRefs() != null) {
            Optional<String> damaged = damaged(row.outputRefs());
            if (damaged.isEmpty()) {
                return new Decision.Checkpoint(row.toBuilder().status(StepStatus.SKIPPED).skipReason(CHECKPOINT).build());
            }
            note = Optional.of("checkpoint not reused: " + damaged.get());
        }
        if (def.cache() && !cacheBypass) {
            Optional<JobStep> hit = services.store().findCachedStep(def.type(), hash).filter(c -> !c.jobId().equals(jobId));
            if (hit.isPresent()) {
                Optional<String> damaged = damaged(hit.get().outputRefs());
                if (damaged.isEmpty()) {
                    return new Decision.Cached(row.toBuilder().status(StepStatus.SKIPPED).skipReason(CACHE).inputHash(hash)
                            .outputRefs(hit.get().outputRefs()).cachedFrom(hit.get().jobId()).error(null).build());
                }
                note = Optional.of("cache entry of job " + hit.get().jobId() + " not reused: " + damaged.get());
            }
        }
        return new Decision.Execute(note);
    }

    /** @return the first artifact of the output that is missing or corrupt, described */
    private Optional<String> damaged(JsonNode output) {
        for (ArtifactRef ref : ArtifactRef.findIn(output)) {
            if (!services.artifacts().exists(ref)) {
                return Optional.of("artifact " + ref.id() + " is missing");
            }
            if (!services.artifacts().isIntact(ref)) {
                return Optional.of("artifact " + ref.id() + " is corrupt");
            }
        }
        return Optional.empty();
    }
}
