package dev.stepwise.engine.core;

/**
 * The keys of the slf4j MDC that the engine sets while a step runs, so that every log line a
 * step (or the host code it calls) writes through slf4j can be found by job. They are set on
 * whatever thread runs the step (the caller's, a worker's, one of the engine's step threads) just
 * before the step executes, and put back as they were (removed, if they were not set) when it
 * returns or throws. The engine's own log lines outside a step carry the job id in their text.
 *
 * <p>A backend shows them with its MDC pattern, e.g. logback's {@code %X{stepwise.job_id}}.
 */
public final class LogContext {
    /** The job's id. */
    public static final String JOB_ID = "stepwise.job_id";
    /** The slug of the job's recipe. */
    public static final String RECIPE = "stepwise.recipe";
    /** The running step's key. */
    public static final String STEP = "stepwise.step";
    /** The attempt number of the running step (1 for the first, counting over every run of the job). */
    public static final String ATTEMPT = "stepwise.attempt";

    private LogContext() {
    }
}
