package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.JSON;
import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidOutputException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JsonLimits;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hostile steps and inputs: whatever a step throws or returns, the step ends {@code failed} with a
 * message naming it and the cause, the lease is released, {@code run} returns the job (an
 * out-of-memory error alone is rethrown, after it was recorded) and workers go on to the next job.
 * Every case runs under {@code run(jobId)} and under workers. Every store runs it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // hang guard only; the cases finish in well under a second
public abstract class HostileStepsContract extends StoreContractBase {

    /** How the job is run. */
    protected enum Mode { RUN, WORKERS }

    private static final String GOOD = "good";

    private JobEngine engine;
    private Workers workers;

    private JobEngine engine(Step hostile, JsonLimits limits, RunListener listener) {
        if (engine != null) {
            engine.close(); // and its workers: the next case starts on a new engine
            workers = null;
        }
        engine = track(JobEngine.builder(store)
                .step("hostile", hostile)
                .step("echo", new Fakes.Echo())
                .recipe(Recipe.builder("hostile").step("before", "echo").step("boom", "hostile").step("after", "echo").build())
                .recipe(Recipe.builder("last").step("before", "echo").step("boom", "hostile").build())
                .recipe(Recipe.builder(GOOD).step("a", "echo").step("b", "echo").build())
                .jsonLimits(limits)
                .listener(listener));
        return engine;
    }

    private JobEngine engine(Step hostile) {
        return engine(hostile, JsonLimits.DEFAULTS, RunListener.NONE);
    }


    private Job stored(String id) {
        return store.findJob(id).orElseThrow();
    }

    /** Runs a job of the recipe to its end in the given mode; returns it as stored. */
    private Job runToEnd(Mode mode, String recipe) throws InterruptedException {
        if (mode == Mode.RUN) {
            Job job = engine.createJob(recipe, obj());
            Job end = engine.run(job.id());
            assertEquals(end, stored(job.id()), "run returns the job as committed");
            return end;
        }
        if (workers == null) {
            workers = engine.startWorkers(WorkerOptions.defaults().withPollInterval(Duration.ofMillis(20)));
        }
        Job job = engine.submit(recipe, obj(), SubmitOptions.defaults()).job();
        Await.until("job " + job.id() + " ends", () -> stored(job.id()).status().isTerminal());
        return stored(job.id());
    }

    /** The job failed at step 'boom' with a message naming it and the cause; nothing is held; the next job runs. */
    private Job assertFailedAtBoom(Mode mode, Job end, String... causeParts) throws InterruptedException {
        assertEquals(JobStatus.FAILED, end.status(), () -> "last error: " + end.lastError());
        assertTrue(end.lastError().startsWith("step 'boom' failed"), end.lastError());
        for (String part : causeParts) {
            assertTrue(end.lastError().contains(part), () -> "'" + part + "' missing from: " + end.lastError());
        }
        assertNull(end.leaseOwner(), "lease released");
        assertNull(end.leaseExpiresAt(), "lease released");
        Map<String, JobStep> steps = new HashMap<>();
        store.findSteps(end.id()).forEach(s -> steps.put(s.stepKey(), s));
        assertEquals(StepStatus.SUCCESS, steps.get("before").status());
        assertEquals(StepStatus.FAILED, steps.get("boom").status());
        assertTrue(steps.get("boom").error().contains(causeParts[0]), steps.get("boom").error());
        assertEquals(0, steps.get("boom").interruptions(), "no interruption counted: no process lost its lease");
        if (steps.containsKey("after")) {
            assertEquals(StepStatus.PENDING, steps.get("after").status());
        }
        assertValidManifest(engine.manifest(end.id()));
        Job next = runToEnd(mode, GOOD);
        assertEquals(JobStatus.COMPLETED, next.status(), "the engine (and its worker) runs the next job");
        return end;
    }

    private static Step throwing(Throwable t) {
        return ctx -> {
            if (t instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) t;
        };
    }

    // ------------------------------------------------------------------ throwables

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aStepThrowingAnErrorFailsTheStepAndRunReturnsTheJob(Mode mode) throws Exception {
        engine(throwing(new Error("sim")));
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "Error: sim");
        engine(throwing(new NoClassDefFoundError("com/acme/Missing")));
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "NoClassDefFoundError: com/acme/Missing");
    }

    @Test
    void anOutOfMemoryErrorIsRecordedAsAFailureThenRethrownByRun() throws Exception {
        OutOfMemoryError oom = new OutOfMemoryError("sim");
        engine(throwing(oom));
        Job job = engine.createJob("hostile", obj());
        OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, () -> engine.run(job.id()));
        assertSame(oom, thrown);
        Job end = stored(job.id());
        assertFailedAtBoom(Mode.RUN, end, "OutOfMemoryError: sim", "not retried");
    }

    @Test
    void anOutOfMemoryErrorUnderWorkersFailsTheJobAndTheWorkerGoesOn() throws Exception {
        engine(throwing(new OutOfMemoryError("sim")));
        assertFailedAtBoom(Mode.WORKERS, runToEnd(Mode.WORKERS, "hostile"), "OutOfMemoryError: sim", "not retried");
    }

    // ------------------------------------------------------------------ outputs that cannot be JSON

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aMapThatContainsItselfFailsTheStep(Mode mode) throws Exception {
        engine(ctx -> {
            Map<String, Object> self = new HashMap<>();
            self.put("me", self);
            return self;
        });
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "refers to itself", "1000 levels");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aJsonTreeThatContainsItselfFailsTheStep(Mode mode) throws Exception {
        engine(ctx -> {
            ObjectNode self = obj();
            self.set("me", self);
            return self;
        });
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "nests deeper than 1000 levels", "$.me.me");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void nanAndInfinityFailTheStep(Mode mode) throws Exception {
        engine(ctx -> Map.of("x", Double.NaN));
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "not finite (NaN) at $.x");
        engine(ctx -> {
            ObjectNode out = obj();
            out.putArray("xs").add(1.5).add(Double.POSITIVE_INFINITY);
            return out;
        });
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "not finite (Infinity) at $.xs[1]");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void nanFromTheLastStepFailsTheJobInsteadOfStoringAString(Mode mode) throws Exception {
        engine(ctx -> Map.of("x", Double.NaN));
        Job end = assertFailedAtBoom(mode, runToEnd(mode, "last"), "not finite (NaN)");
        JsonNode manifest = engine.manifest(end.id());
        assertTrue(manifest.get("output").isNull(), manifest.toString());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aJavaObjectWithNoJsonFormFailsTheStep(Mode mode) throws Exception {
        engine(ctx -> Map.of("handle", new Object()));
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "cannot become JSON", "java.util");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void outputsDeeperOrLargerThanTheLimitsFailTheStep(Mode mode) throws Exception {
        engine(ctx -> nested(1_001));
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "nests deeper than 1000 levels");
        engine(ctx -> Map.of("text", "x".repeat(2_000)), new JsonLimits(1_000, 1_024), RunListener.NONE);
        assertFailedAtBoom(mode, runToEnd(mode, "hostile"), "over the limit of 1024 bytes");
    }

    @Test
    void anOutputAtTheDepthLimitIsRecordedAndReadBack() throws Exception {
        engine(ctx -> nested(999)); // 999 maps around one value: depth 999
        Job end = runToEnd(Mode.RUN, "hostile");
        assertEquals(JobStatus.COMPLETED, end.status(), () -> "last error: " + end.lastError());
        JobStep boom = store.findSteps(end.id()).get(1);
        int depth = 0;
        for (JsonNode n = boom.outputRefs(); n.isObject(); n = n.get("k")) {
            depth++;
        }
        assertEquals(999, depth);
        assertValidManifest(engine.manifest(end.id()));
    }

    @Test
    void anUnserialisableOutputFollowsTheRetryPolicy() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        RetryPolicy.Builder twice = RetryPolicy.builder().maxAttempts(2).initialDelay(Duration.ZERO).multiplier(1.0)
                .maxDelay(Duration.ZERO).jitter(false);
        engine = track(JobEngine.builder(store)
                .step("flaky", ctx -> calls.incrementAndGet() == 1 ? Map.of("x", Double.NaN) : Map.of("x", 1))
                .recipe(Recipe.builder("r").step(StepDefinition.builder("s", "flaky").retry(twice.build()).build()).build()));
        Job end = engine.run(engine.createJob("r", obj()).id());
        assertEquals(JobStatus.COMPLETED, end.status(), () -> "last error: " + end.lastError());
        assertEquals(2, store.findSteps(end.id()).get(0).attempts());

        calls.set(0);
        engine = track(JobEngine.builder(store)
                .step("flaky", ctx -> calls.incrementAndGet() == 1 ? Map.of("x", Double.NaN) : Map.of("x", 1))
                .recipe(Recipe.builder("r2").step(StepDefinition.builder("s", "flaky")
                        .retry(twice.nonRetryable(List.of(InvalidOutputException.class.getName())).build()).build()).build()));
        Job notRetried = engine.run(engine.createJob("r2", obj()).id());
        assertEquals(JobStatus.FAILED, notRetried.status());
        assertEquals(1, calls.get(), "listed as non-retryable: one attempt");
    }

    // ------------------------------------------------------------------ inputs

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDeeplyNestedInputIsRefusedBeforeAnythingIsWritten(Mode mode) {
        engine(ctx -> obj());
        ObjectNode input = obj();
        ObjectNode cursor = input;
        for (int i = 0; i < 100_000; i++) {
            cursor = cursor.putObject("a");
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> {
            if (mode == Mode.RUN) {
                engine.createJob(GOOD, input);
            } else {
                engine.submit(GOOD, input, SubmitOptions.defaults());
            }
        });
        assertTrue(e.getMessage().contains("over the engine's JSON limits") && e.getMessage().contains("nests deeper than 1000 levels"),
                e.getMessage());
        assertEquals("$", e.violations().get(0).path());
        assertEquals(List.of(), store.findJobs(JobQuery.all()), "no job written");
    }

    @Test
    void anInputLargerThanTheLimitOrHoldingNanIsRefused() {
        engine(ctx -> obj(), new JsonLimits(100, 1_024), RunListener.NONE);
        ObjectNode big = obj().put("text", "x".repeat(2_000));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> engine.createJob(GOOD, big));
        assertTrue(e.getMessage().contains("over the limit of 1024 bytes"), e.getMessage());
        ObjectNode nan = obj().put("x", Double.NaN);
        e = assertThrows(InvalidInputException.class, () -> engine.createJob(GOOD, nan));
        assertTrue(e.getMessage().contains("not finite (NaN) at $.x"), e.getMessage());
        assertEquals(List.of(), store.findJobs(JobQuery.all()), "no job written");
    }

    // ------------------------------------------------------------------ the runner's own failures

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anErrorEscapingTheRunnerFailsTheJobInsteadOfLeavingItRunning(Mode mode) throws Exception {
        AtomicInteger throwsLeft = new AtomicInteger(1);
        engine(new Step() {
            @Override
            public Object execute(dev.stepwise.engine.api.StepContext ctx) {
                return obj();
            }

            @Override
            public String version() { // the runner asks for it to hash the step's input, outside execute
                if (throwsLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("version lookup failed");
                }
                return "1";
            }
        });
        Job end;
        if (mode == Mode.RUN) {
            Job job = engine.createJob("hostile", obj());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.run(job.id()));
            assertEquals("version lookup failed", e.getMessage());
            end = stored(job.id());
        } else {
            end = runToEnd(mode, "hostile");
        }
        assertEquals(JobStatus.FAILED, end.status());
        assertTrue(end.lastError().contains("unexpected error") && end.lastError().contains("version lookup failed"),
                end.lastError());
        assertNull(end.leaseOwner());
        assertNull(end.leaseExpiresAt());
        assertEquals(StepStatus.SUCCESS, store.findSteps(end.id()).get(0).status());
        // a retry runs on without counting an interruption: no process lost its lease
        engine.retry(end.id());
        Job again = mode == Mode.RUN ? engine.run(end.id()) : awaitEnd(end.id());
        assertEquals(JobStatus.COMPLETED, again.status(), () -> "last error: " + again.lastError());
        store.findSteps(end.id()).forEach(s -> assertEquals(0, s.interruptions(), s.stepKey()));
    }

    private Job awaitEnd(String id) throws InterruptedException {
        Await.until("job " + id + " ends", () -> stored(id).status().isTerminal());
        return stored(id);
    }

    /** {@code depth} nested maps {"k": {"k": ... "v"}}. */
    private static Object nested(int depth) {
        Object v = "v";
        for (int i = 0; i < depth; i++) {
            v = Map.of("k", v);
        }
        return v;
    }
}
