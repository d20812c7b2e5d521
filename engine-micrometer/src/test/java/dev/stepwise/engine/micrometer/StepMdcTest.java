package dev.stepwise.engine.micrometer;

import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.LogContext;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Engine-core's log context, read from real log events (logback: slf4j-simple's MDC is a no-op).
 * While a step runs, the slf4j MDC of the thread that runs it carries the job id, the recipe, the
 * step and the attempt (so the host's log lines inside a step can be found by job), on the
 * caller's thread, on worker-run steps and on parallel steps; afterwards it is as it was before.
 */
class StepMdcTest {
    private static final Logger HOST_LOG = LoggerFactory.getLogger("host.step");

    @TempDir
    Path dir;
    private SqliteJobStore store;
    private final ExecutorService stepThreads = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "host-step-thread");
        t.setDaemon(true);
        return t;
    });
    /** The host's log lines written inside steps, with their MDC. */
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Map<String, String> threads = new ConcurrentHashMap<>();
    private JobEngine engine;

    @BeforeEach
    void open() {
        store = SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
        logged.start();
        ((ch.qos.logback.classic.Logger) HOST_LOG).addAppender(logged);
        Step logging = ctx -> {
            HOST_LOG.info("host code inside step {} of job {}", ctx.stepKey(), ctx.jobId());
            threads.put(ctx.jobId() + "/" + ctx.stepKey(), Thread.currentThread().getName());
            return Map.of("ok", true);
        };
        engine = JobEngine.builder(store)
                .stepExecutor(stepThreads)
                .step("log", logging)
                .recipe(Recipe.builder("chain").step("a", "log").step("b", "log").build())
                .recipe(Recipe.builder("fan").step("a", "log")
                        .step(StepDefinition.builder("b", "log").dependsOn("a").build())
                        .step(StepDefinition.builder("c", "log").dependsOn("a").build()).build())
                .build();
    }

    @AfterEach
    void close() {
        ((ch.qos.logback.classic.Logger) HOST_LOG).detachAppender(logged);
        engine.close();
        store.close();
        stepThreads.shutdownNow();
    }

    @Test
    void aStepOnTheCallersThreadSeesItsJobAndTheCallersMdcIsRestoredAfter() {
        MDC.put("host.request", "r-17");
        MDC.put(LogContext.JOB_ID, "the host's own value");
        try {
            Job job = engine.run(engine.createJob("chain", obj()).id());

            assertEquals(JobStatus.COMPLETED, job.status());
            assertEquals(Thread.currentThread().getName(), threads.get(job.id() + "/a"));
            assertStepContext(job, "a");
            assertStepContext(job, "b");
            assertEquals("r-17", loggedMdc(job, "a").get("host.request"), "the caller's own keys stay visible");
            assertEquals("the host's own value", MDC.get(LogContext.JOB_ID), "a key the host had set is put back");
            assertNull(MDC.get(LogContext.STEP));
            assertNull(MDC.get(LogContext.RECIPE));
            assertNull(MDC.get(LogContext.ATTEMPT));
        } finally {
            MDC.clear();
        }
    }

    @Test
    void parallelStepsOnTheEnginesStepThreadsEachSeeTheirOwnStepAndLeaveTheThreadClean() throws Exception {
        Job job = engine.run(engine.createJob("fan", obj()).id());

        assertEquals(JobStatus.COMPLETED, job.status());
        for (String step : List.of("a", "b", "c")) {
            assertEquals("host-step-thread", threads.get(job.id() + "/" + step));
            assertStepContext(job, step);
        }
        assertEquals(Map.of(), mdcOfStepThread(), "nothing of a step is left on the thread after it");
    }

    @Test
    void aStepRunByAWorkerSeesItsJob() throws Exception {
        String id = engine.submit("chain", obj(), SubmitOptions.defaults()).job().id();
        try (Workers workers = engine.startWorkers(WorkerOptions.defaults().withPollInterval(Duration.ofMillis(20)))) {
            Await.until("the job completed", () -> engine.job(id).status() == JobStatus.COMPLETED);
        }
        Job job = engine.job(id);

        assertNotEquals(Thread.currentThread().getName(), threads.get(id + "/b"));
        assertStepContext(job, "a");
        assertStepContext(job, "b");
        assertEquals(Map.of(), mdcOfStepThread());
    }

    private void assertStepContext(Job job, String step) {
        Map<String, String> mdc = loggedMdc(job, step);
        assertEquals(job.id(), mdc.get(LogContext.JOB_ID), mdc::toString);
        assertEquals(job.recipeSlug(), mdc.get(LogContext.RECIPE), mdc::toString);
        assertEquals(step, mdc.get(LogContext.STEP), mdc::toString);
        assertEquals("1", mdc.get(LogContext.ATTEMPT), mdc::toString);
        assertEquals("stepwise.job_id", LogContext.JOB_ID);
        assertEquals("stepwise.recipe", LogContext.RECIPE);
        assertEquals("stepwise.step", LogContext.STEP);
        assertEquals("stepwise.attempt", LogContext.ATTEMPT);
    }

    /** @return the MDC of the line the step logged */
    private Map<String, String> loggedMdc(Job job, String step) {
        String line = "host code inside step " + step + " of job " + job.id();
        synchronized (logged) {
            return logged.list.stream().filter(e -> e.getFormattedMessage().equals(line)).findFirst()
                    .map(ILoggingEvent::getMDCPropertyMap)
                    .orElseThrow(() -> new AssertionError("step " + step + " logged nothing: " + logged.list));
        }
    }

    /** The MDC of the (single) step thread, read by a task run there after the steps. */
    private Map<String, String> mdcOfStepThread() throws Exception {
        Map<String, String> mdc = stepThreads.submit(() -> MDC.getCopyOfContextMap()).get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
        return mdc == null ? Map.of() : mdc;
    }
}
