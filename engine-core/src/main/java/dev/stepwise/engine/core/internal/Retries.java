package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.Manifest;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownStepException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Hands a job back {@code pending} for another run, in one guarded write ({@link WriteGuard.Status}
 * on the status and epoch read): {@link #retry} keeps every checkpoint, {@link #retryFrom} first
 * drops the checkpoints of one step and every step downstream of it. The next run (by
 * {@code run(jobId)} or a worker) reuses the remaining checkpoints and executes the rest.
 */
public final class Retries {
    private final EngineServices services;

    /** @param services the engine's services */
    public Retries(EngineServices services) {
        this.services = services;
    }

    /**
     * Moves a {@code failed} or {@code cancelled} job back to {@code pending}; every valid
     * checkpoint is reused by its next run.
     *
     * @param jobId the job
     * @return the job, {@code pending}
     * @throws UnknownJobException        if there is no such job
     * @throws IllegalTransitionException if it is not failed or cancelled, or changed meanwhile
     */
    public Job retry(String jobId) {
        Job job = find(jobId);
        if (job.status() != JobStatus.FAILED && job.status() != JobStatus.CANCELLED) {
            throw new IllegalTransitionException(jobId, job.status(), JobStatus.PENDING,
                    "only failed or cancelled jobs can be retried");
        }
        Job pending = pendingCopy(job).build();
        return handBack(job, pending, List.of(), "job retried (was " + job.status() + ")", false);
    }

    /**
     * Moves a {@code completed}, {@code failed} or {@code cancelled} job back to {@code pending}
     * with the checkpoints of {@code stepKey} and of every step downstream of it dropped (status
     * {@code pending}, no input hash, no output), so its next run re-executes them even if their
     * inputs did not change; the checkpoints upstream are reused. Downstream means every later
     * step in a sequential recipe, and every step that depends on it, directly or not, in a
     * recipe with {@code depends_on}. Attempts keep counting. The job's log gets a line and its
     * manifest a {@code retries} entry.
     *
     * @param jobId   the job
     * @param stepKey the step to re-run from
     * @return the job, {@code pending}
     * @throws UnknownJobException        if there is no such job
     * @throws UnknownStepException       if the job has no such step
     * @throws IllegalTransitionException if it is pending or running, or changed meanwhile
     */
    public Job retryFrom(String jobId, String stepKey) {
        Job job = find(jobId);
        Set<String> reset = downstream(Manifests.recipeOf(job), stepKey, jobId);
        if (!job.status().isTerminal()) {
            throw new IllegalTransitionException(jobId, job.status(), JobStatus.PENDING,
                    "only a completed, failed or cancelled job can be retried from a step; wait for it to end or cancel it");
        }
        List<JobStep> steps = services.store().findSteps(jobId);
        List<JobStep> rows = new ArrayList<>(steps.size());
        List<JobStep> changed = new ArrayList<>();
        int kept = 0;
        for (JobStep s : steps) {
            if (reset.contains(s.stepKey())) {
                JobStep cleared = s.toBuilder().status(StepStatus.PENDING).inputHash(null).outputRefs(null).error(null)
                        .skipReason(null).cachedFrom(null).startedAt(null).completedAt(null).durationMs(0).build();
                rows.add(cleared);
                changed.add(cleared);
            } else {
                rows.add(s);
                kept += s.status().hasOutput() ? 1 : 0;
            }
        }
        Instant now = services.nowMillis();
        List<String> keys = rows.stream().map(JobStep::stepKey).filter(reset::contains).toList();
        Job pending = pendingCopy(job).currentStep(stepKey).progress(steps.isEmpty() ? 0 : kept * 100 / steps.size())
                .lastError(null).build();
        List<Manifest.Retry> retries = Manifests.retriesOf(job);
        retries.add(new Manifest.Retry(now, stepKey, keys, job.status()));
        pending = pending.toBuilder().manifest(Manifests.build(pending, rows, Manifests.snapshotsOf(job), retries)
                .toJson()).build();
        return handBack(job, pending, changed, "job retried from step '" + stepKey + "' (was " + job.status()
                + "); checkpoints dropped: " + String.join(", ", keys), true);
    }

    /** @return the step and every step downstream of it, by key */
    private static Set<String> downstream(Recipe recipe, String stepKey, String jobId) {
        List<StepDefinition> defs = recipe.steps();
        int from = -1;
        for (int i = 0; i < defs.size(); i++) {
            if (defs.get(i).key().equals(stepKey)) {
                from = i;
            }
        }
        if (from < 0) {
            throw new UnknownStepException(jobId, stepKey, defs.stream().map(StepDefinition::key).toList());
        }
        Set<String> out = new LinkedHashSet<>();
        out.add(stepKey);
        if (!recipe.isGraph()) {
            defs.subList(from, defs.size()).forEach(d -> out.add(d.key()));
            return out;
        }
        boolean grew = true;
        while (grew) { // transitive dependents; a recipe has no cycles, so this ends
            grew = false;
            for (StepDefinition d : defs) {
                if (!out.contains(d.key()) && d.dependsOn().stream().anyMatch(out::contains)) {
                    grew = out.add(d.key());
                }
            }
        }
        return out;
    }

    private Job find(String jobId) {
        return services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
    }

    private Job.Builder pendingCopy(Job job) {
        return job.toBuilder().status(JobStatus.PENDING).finishedAt(null).updatedAt(services.nowMillis()).cancelRequested(false);
    }

    /** The one guarded write both retries make: the job as it was read, or a typed conflict. */
    private Job handBack(Job read, Job pending, List<JobStep> steps, String message, boolean writeManifest) {
        LogEntry line = new LogEntry(0, read.id(), null, 0, services.nowMillis(), LogLevel.INFO, message);
        JobWrite write = new JobWrite(pending, new WriteGuard.Status(read.epoch(), read.status()), steps,
                List.of(line), writeManifest, true).numberedAfter(read.logCursor());
        try {
            services.store().write(write);
        } catch (WriteConflictException e) {
            throw new IllegalTransitionException(read.id(), find(read.id()).status(), JobStatus.PENDING,
                    "it changed while retrying it; read it again");
        }
        return write.job();
    }
}
