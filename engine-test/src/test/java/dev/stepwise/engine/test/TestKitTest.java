package dev.stepwise.engine.test;

import static dev.stepwise.engine.test.TestEngine.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kit's pieces doing what their names say, on a real engine. */
class TestKitTest {
    private static final Recipe TWO_STEPS = Recipe.builder("two").step("fetch", "fetch").step("save", "save").build();

    @Test
    void aJobOfFakesCompletesAndItsManifestIsValid() {
        FakeStep fetch = FakeSteps.succeed(Map.of("rows", 3));
        FakeStep save = FakeSteps.recording();
        try (TestEngine engine = TestEngine.inMemory(TWO_STEPS, Map.of("fetch", fetch, "save", save))) {
            Job job = engine.run("{\"day\": \"2026-01-01\"}");

            JobAssert.assertThat(engine, job).completed().stepExecuted("fetch").stepExecuted("save")
                    .stepAttempts("fetch", 1).stepOutput("fetch", "{\"rows\": 3}").output("{}")
                    .manifest().isValid().hasStatus("completed").hasStepCount(2).stepStatus("save", "success")
                    .hasValue("/steps/0/output/rows", 3).hasValue("/input/day", "2026-01-01");
            assertEquals(1, fetch.calls());
            FakeStep.Call call = save.lastCall();
            assertEquals(job.id(), call.jobId());
            assertEquals("save", call.stepKey());
            assertEquals(1, call.attempt());
            assertEquals(json("{\"day\": \"2026-01-01\"}"), call.input());
            assertEquals(json("{\"rows\": 3}"), call.outputs().get("fetch"));
        }
    }

    @Test
    void aFlakyStepFailsTheJobThenTheRerunReusesTheCheckpoint() {
        FakeStep fetch = FakeSteps.succeed(Map.of("rows", 3));
        FakeStep save = FakeSteps.failTimes(1, Map.of("saved", true));
        try (TestEngine engine = TestEngine.inMemory(TWO_STEPS, Map.of("fetch", fetch, "save", save))) {
            Job job = engine.run("{}");
            engine.assertThat(job).failedWith("fake failure 1 of 1").stepExecuted("fetch")
                    .stepFailedWith("save", "fake failure 1 of 1");

            job = engine.rerun(job);
            engine.assertThat(job).completed().stepFromCheckpoint("fetch").stepExecuted("save")
                    .stepAttempts("save", 2).output("{\"saved\": true}");
            assertEquals(1, fetch.calls(), "the checkpoint was reused, fetch did not run again");
            assertEquals(2, save.calls("save"));
        }
    }

    @Test
    void failTimesWithAnImmediateRetryPolicyCompletesInOneRun() {
        Recipe recipe = Recipe.builder("retried").step(StepDefinition.builder("call", "call")
                .retry(RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ZERO).build()).build()).build();
        FakeStep call = FakeSteps.failTimes(2, Map.of("ok", true));
        try (TestEngine engine = TestEngine.inMemory(recipe, Map.of("call", call))) {
            Job job = engine.run("{}");
            engine.assertThat(job).completed().stepExecuted("call").stepAttempts("call", 3);
        }
    }

    @Test
    void aCachedStepOfASecondJobComesFromTheFirst() {
        Recipe recipe = Recipe.builder("cached")
                .step(StepDefinition.builder("speak", "speak").cache(true).build()).build();
        FakeStep speak = FakeSteps.succeed(Map.of("audio", "a.wav"));
        try (TestEngine engine = TestEngine.inMemory(recipe, Map.of("speak", speak))) {
            Job first = engine.run("{\"text\": \"hi\"}");
            Job second = engine.run("{\"text\": \"hi\"}");

            engine.assertThat(first).completed().stepExecuted("speak");
            engine.assertThat(second).completed().stepFromCache("speak").stepFromCache("speak", first)
                    .stepAttempts("speak", 0);
            assertEquals(1, speak.calls());
        }
    }

    @Test
    void aHangingStepHoldsTheJobRunningUntilReleased() throws Exception {
        HangingStep save = FakeSteps.hangUntilReleased(Map.of("saved", 1));
        try (TestEngine engine = TestEngine.inMemory(TWO_STEPS,
                Map.of("fetch", FakeSteps.succeed(Map.of()), "save", save))) {
            CompletableFuture<Job> run = engine.runInBackground("{}");
            save.awaitStarted();
            String id = save.lastCall().jobId();
            assertEquals(JobStatus.RUNNING, engine.engine().job(id).status());
            JobAssert.assertThat(engine, engine.engine().job(id)).stepExecuted("fetch")
                    .stepStatus("save", dev.stepwise.engine.api.StepStatus.RUNNING);

            save.release();
            Job done = run.get(2, TimeUnit.MINUTES);
            engine.assertThat(done).completed().output("{\"saved\": 1}");
        }
    }

    @Test
    void aHangingStepStopsWhenItsJobIsCancelled() throws Exception {
        HangingStep fetch = FakeSteps.hangUntilReleased();
        try (TestEngine engine = TestEngine.inMemory(TWO_STEPS, Map.of("fetch", fetch, "save", FakeSteps.recording()))) {
            CompletableFuture<Job> run = engine.runInBackground("{}");
            fetch.awaitStarted();
            engine.engine().cancel(fetch.lastCall().jobId());

            Job done = run.get(2, TimeUnit.MINUTES);
            engine.assertThat(done).cancelled().stepStatus("save", dev.stepwise.engine.api.StepStatus.PENDING);
        }
    }

    @Test
    void theClockMovesOnlyWhenTold() {
        try (TestEngine engine = TestEngine.inMemory(TWO_STEPS,
                Map.of("fetch", FakeSteps.recording(), "save", FakeSteps.recording()))) {
            Job first = engine.run("{}");
            assertEquals(TestClock.DEFAULT_START, first.createdAt());
            assertEquals(TestClock.DEFAULT_START, first.finishedAt());

            Instant later = engine.clock().advance(Duration.ofHours(2));
            assertEquals(Instant.parse("2026-01-01T02:00:00Z"), later);
            assertEquals(later, engine.run("{}").createdAt());
            assertTrue(engine.clock().reads() > 0);
        }
        TestClock clock = TestClock.at("2030-05-01T10:00:00Z");
        IllegalArgumentException back = assertThrows(IllegalArgumentException.class,
                () -> clock.set(Instant.parse("2030-05-01T09:00:00Z")));
        assertEquals("cannot set the clock back from 2030-05-01T10:00:00Z to 2030-05-01T09:00:00Z", back.getMessage());
        assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofSeconds(-1)));
        clock.set(Instant.parse("2030-05-02T00:00:00Z"));
        assertEquals(Instant.parse("2030-05-02T00:00:00Z"), clock.instant());
    }

    @Test
    void badFakesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> FakeSteps.failTimes(-1, Map.of()));
        assertThrows(NullPointerException.class, () -> FakeSteps.succeed(null));
        AssertionError never = assertThrows(AssertionError.class, () -> FakeSteps.recording().lastCall());
        assertEquals("expected the fake step (records calls, returns {}) to have been called, but it never was",
                never.getMessage());
    }
}
