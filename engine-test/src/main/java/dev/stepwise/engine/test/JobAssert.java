package dev.stepwise.engine.test;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fluent assertions on a job as its engine holds it now (the job and its steps are read once, when
 * {@link #assertThat(JobEngine, Job)} is called). Works with any engine: in memory, SQLite,
 * PostgreSQL.
 *
 * <pre>{@code
 * JobAssert.assertThat(engine, job).completed()
 *         .stepExecuted("fetch").stepFromCheckpoint("parse").stepFromCache("speak");
 * JobAssert.assertThat(engine, other).failedWith("connection refused").stepAttempts("fetch", 3);
 * }</pre>
 *
 * <p>A failed assertion throws {@link AssertionError} whose message says what was expected and what
 * the job really was: its status, last error, and every step with its status, attempts, skip reason
 * and error.
 */
public final class JobAssert {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Longest error text quoted per step in a failure message. */
    private static final int MAX_ERROR_CHARS = 300;

    private final JobEngine engine;
    private final Job job;
    private final List<JobStep> steps;

    private JobAssert(JobEngine engine, Job job, List<JobStep> steps) {
        this.engine = engine;
        this.job = job;
        this.steps = steps;
    }

    /**
     * @param engine the engine that holds the job
     * @param job    the job (only its id is used: the current state is read from the engine)
     * @return assertions on the job's current state
     */
    public static JobAssert assertThat(JobEngine engine, Job job) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(job, "job");
        return new JobAssert(engine, engine.job(job.id()), engine.steps(job.id()));
    }

    /**
     * @param engine a test engine
     * @param job    the job
     * @return assertions on the job's current state
     */
    public static JobAssert assertThat(TestEngine engine, Job job) {
        return assertThat(engine.engine(), job);
    }

    /**
     * @param expected the status the job must have
     * @return this
     */
    public JobAssert hasStatus(JobStatus expected) {
        if (job.status() != expected) {
            throw fail("expected job " + job.id() + " to be " + expected + ", but it is " + job.status());
        }
        return this;
    }

    /** @return this, if the job is {@code completed} */
    public JobAssert completed() {
        return hasStatus(JobStatus.COMPLETED);
    }

    /** @return this, if the job is {@code failed} */
    public JobAssert failed() {
        return hasStatus(JobStatus.FAILED);
    }

    /** @return this, if the job is {@code cancelled} */
    public JobAssert cancelled() {
        return hasStatus(JobStatus.CANCELLED);
    }

    /** @return this, if the job is {@code pending} */
    public JobAssert pending() {
        return hasStatus(JobStatus.PENDING);
    }

    /**
     * @param messagePart text the job's last error must contain
     * @return this, if the job is {@code failed} and its last error contains {@code messagePart}
     */
    public JobAssert failedWith(String messagePart) {
        Objects.requireNonNull(messagePart, "messagePart");
        if (job.status() != JobStatus.FAILED) {
            throw fail("expected job " + job.id() + " to be failed with an error containing \"" + messagePart
                    + "\", but it is " + job.status());
        }
        if (job.lastError() == null || !job.lastError().contains(messagePart)) {
            throw fail("expected job " + job.id() + " to have failed with an error containing \"" + messagePart
                    + "\", but its error is: " + job.lastError());
        }
        return this;
    }

    /**
     * The step's code ran and its output was committed ({@code success}), rather than reused.
     *
     * @param key the step key
     * @return this
     */
    public JobAssert stepExecuted(String key) {
        JobStep s = step(key);
        if (s.status() != StepStatus.SUCCESS) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to have executed (success), but it is "
                    + describe(s));
        }
        return this;
    }

    /**
     * The step did not run: a checkpoint of an earlier run of this job was reused.
     *
     * @param key the step key
     * @return this
     */
    public JobAssert stepFromCheckpoint(String key) {
        return skipped(key, "checkpoint");
    }

    /**
     * The step did not run: another job's identical execution was reused (the step cache).
     *
     * @param key the step key
     * @return this
     */
    public JobAssert stepFromCache(String key) {
        return skipped(key, "cache");
    }

    /**
     * @param key     the step key
     * @param fromJob the job whose execution must have been reused
     * @return this, if the step came from the cache, from that job
     */
    public JobAssert stepFromCache(String key, Job fromJob) {
        stepFromCache(key);
        JobStep s = step(key);
        if (!fromJob.id().equals(s.cachedFrom())) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to come from the cache of job "
                    + fromJob.id() + ", but it came from job " + s.cachedFrom());
        }
        return this;
    }

    /**
     * @param key the step key
     * @return this, if the step is {@code failed}
     */
    public JobAssert stepFailed(String key) {
        JobStep s = step(key);
        if (s.status() != StepStatus.FAILED) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to have failed, but it is " + describe(s));
        }
        return this;
    }

    /**
     * @param key         the step key
     * @param messagePart text the step's error must contain
     * @return this, if the step is {@code failed} with such an error
     */
    public JobAssert stepFailedWith(String key, String messagePart) {
        stepFailed(key);
        JobStep s = step(key);
        if (s.error() == null || !s.error().contains(messagePart)) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to have failed with an error containing \""
                    + messagePart + "\", but its error is: " + s.error());
        }
        return this;
    }

    /**
     * @param key    the step key
     * @param status the status the step must have
     * @return this
     */
    public JobAssert stepStatus(String key, StepStatus status) {
        JobStep s = step(key);
        if (s.status() != status) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to be " + status + ", but it is "
                    + describe(s));
        }
        return this;
    }

    /**
     * @param key      the step key
     * @param expected how many times its execution must have started (over every run of the job)
     * @return this
     */
    public JobAssert stepAttempts(String key, int expected) {
        JobStep s = step(key);
        if (s.attempts() != expected) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to have " + expected
                    + " attempt(s), but it is " + describe(s));
        }
        return this;
    }

    /**
     * @param key      the step key
     * @param expected the output it must have, as JSON text (compared as JSON: key order and spacing do not matter)
     * @return this
     */
    public JobAssert stepOutput(String key, String expected) {
        JsonNode want = JSON.readTree(expected);
        JobStep s = step(key);
        if (!want.equals(s.outputRefs())) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to have output " + want
                    + ", but it has " + s.outputRefs() + " (" + describe(s) + ")");
        }
        return this;
    }

    /**
     * @param expected the job's output (its last step's output, in the manifest), as JSON text
     * @return this
     */
    public JobAssert output(String expected) {
        JsonNode want = JSON.readTree(expected);
        JsonNode got = engine.manifest(job.id()).path("output");
        if (!want.equals(got)) {
            throw fail("expected job " + job.id() + " to have output " + want + ", but it has " + got);
        }
        return this;
    }

    /** @return assertions on the job's manifest as the engine builds it now */
    public ManifestAssert manifest() {
        return ManifestAssert.assertThat(engine.manifest(job.id()));
    }

    /** @return the job as it was read */
    public Job job() {
        return job;
    }

    /**
     * @param key the step key
     * @return the job's step with that key, as it was read
     * @throws AssertionError if the job has no such step
     */
    public JobStep step(String key) {
        return steps.stream().filter(s -> s.stepKey().equals(key)).findFirst()
                .orElseThrow(() -> fail("expected job " + job.id() + " to have a step '" + key + "', but its steps are "
                        + steps.stream().map(JobStep::stepKey).collect(Collectors.joining(", "))));
    }

    private JobAssert skipped(String key, String reason) {
        JobStep s = step(key);
        if (s.status() != StepStatus.SKIPPED || !reason.equals(s.skipReason())) {
            throw fail("expected step '" + key + "' of job " + job.id() + " to be reused from the " + reason
                    + " (skipped, reason " + reason + "), but it is " + describe(s));
        }
        return this;
    }

    private AssertionError fail(String expectation) {
        return new AssertionError(expectation + "\n" + describeJob());
    }

    private String describeJob() {
        StringBuilder b = new StringBuilder("job ").append(job.id()).append(" (recipe ").append(job.recipeSlug())
                .append('@').append(job.recipeVersion()).append(") is ").append(job.status());
        if (job.lastError() != null) {
            b.append(", last error: ").append(shorten(job.lastError()));
        }
        b.append("; steps:");
        for (JobStep s : steps) {
            b.append("\n  ").append(s.stepKey()).append(": ").append(describe(s));
        }
        return b.toString();
    }

    private static String describe(JobStep s) {
        StringBuilder b = new StringBuilder(s.status().value()).append(" (").append(s.attempts())
                .append(s.attempts() == 1 ? " attempt" : " attempts");
        if (s.skipReason() != null) {
            b.append(", skip reason ").append(s.skipReason());
        }
        if (s.cachedFrom() != null) {
            b.append(", cached from job ").append(s.cachedFrom());
        }
        if (s.error() != null) {
            b.append(", error: ").append(shorten(s.error()));
        }
        return b.append(')').toString();
    }

    private static String shorten(String text) {
        String oneLine = text.strip();
        return oneLine.length() <= MAX_ERROR_CHARS ? oneLine : oneLine.substring(0, MAX_ERROR_CHARS) + "…";
    }
}
