package dev.stepwise.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import tools.jackson.databind.node.ObjectNode;

/** Every assertion of the kit fails when it should, and its message says what was expected and what was. */
class AssertionMessagesTest {
    private static final Recipe RECIPE = Recipe.builder("three")
            .step("fetch", "fetch").step("parse", "parse")
            .step(StepDefinition.builder("save", "save").cache(true).build()).build();

    private static String failure(Executable assertion) {
        return assertThrows(AssertionError.class, assertion).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message lacks \"" + part + "\":\n" + message);
        }
    }

    @Test
    void assertionsOnAFailedJobSayWhatItWas() {
        try (TestEngine engine = TestEngine.inMemory(RECIPE, Map.of("fetch", FakeSteps.succeed(Map.of("n", 1)),
                "parse", FakeSteps.fail("the feed is not XML"), "save", FakeSteps.recording()))) {
            Job job = engine.run("{}");
            String id = job.id();

            String completed = failure(() -> engine.assertThat(job).completed());
            assertContains(completed, "expected job " + id + " to be completed, but it is failed",
                    "job " + id + " (recipe three@1) is failed, last error: step 'parse' failed",
                    "the feed is not XML",
                    "\n  fetch: success (1 attempt)",
                    "\n  parse: failed (1 attempt, error: IllegalStateException: the feed is not XML)",
                    "\n  save: pending (0 attempts)",
                    "last error: step 'parse' failed: IllegalStateException: the feed is not XML; steps:");

            assertContains(failure(() -> engine.assertThat(job).failedWith("timeout")),
                    "expected job " + id + " to have failed with an error containing \"timeout\", but its error is: "
                            + "step 'parse' failed");
            assertContains(failure(() -> engine.assertThat(job).stepExecuted("parse")),
                    "expected step 'parse' of job " + id + " to have executed (success), but it is failed (1 attempt, error: ");
            assertContains(failure(() -> engine.assertThat(job).stepFailedWith("parse", "HTTP 500")),
                    "to have failed with an error containing \"HTTP 500\", but its error is: ");
            assertContains(failure(() -> engine.assertThat(job).stepFailed("fetch")),
                    "expected step 'fetch' of job " + id + " to have failed, but it is success (1 attempt)");
            assertContains(failure(() -> engine.assertThat(job).stepAttempts("parse", 3)),
                    "expected step 'parse' of job " + id + " to have 3 attempt(s), but it is failed (1 attempt");
            assertContains(failure(() -> engine.assertThat(job).stepStatus("save", StepStatus.SUCCESS)),
                    "expected step 'save' of job " + id + " to be success, but it is pending (0 attempts)");
            assertContains(failure(() -> engine.assertThat(job).stepExecuted("publish")),
                    "expected job " + id + " to have a step 'publish', but its steps are fetch, parse, save");
            assertContains(failure(() -> engine.assertThat(job).stepOutput("fetch", "{\"n\": 2}")),
                    "expected step 'fetch' of job " + id + " to have output {\"n\":2}, but it has {\"n\":1}");
            assertContains(failure(() -> engine.assertThat(job).output("{}")),
                    "expected job " + id + " to have output {}, but it has null");
        }
    }

    @Test
    void assertionsOnReuseSayHowTheStepReallyRan() {
        try (TestEngine engine = TestEngine.inMemory(RECIPE, Map.of("fetch", FakeSteps.recording(),
                "parse", FakeSteps.failTimes(1, Map.of()), "save", FakeSteps.recording()))) {
            Job first = engine.run("{}");
            Job rerun = engine.rerun(first);
            String id = rerun.id();

            assertContains(failure(() -> engine.assertThat(rerun).stepExecuted("fetch")),
                    "expected step 'fetch' of job " + id + " to have executed (success), but it is skipped (1 attempt, "
                            + "skip reason checkpoint)");
            assertContains(failure(() -> engine.assertThat(rerun).stepFromCheckpoint("parse")),
                    "expected step 'parse' of job " + id + " to be reused from the checkpoint (skipped, reason "
                            + "checkpoint), but it is success (2 attempts)");
            assertContains(failure(() -> engine.assertThat(rerun).stepFromCache("fetch")),
                    "to be reused from the cache (skipped, reason cache), but it is skipped (1 attempt, skip reason "
                            + "checkpoint)");
            assertContains(failure(() -> engine.assertThat(rerun).failed()),
                    "expected job " + id + " to be failed, but it is completed");
            assertContains(failure(() -> engine.assertThat(rerun).failedWith("boom")),
                    "expected job " + id + " to be failed with an error containing \"boom\", but it is completed");

            Job other = engine.run("{\"x\": 1}");
            Job again = engine.run("{\"x\": 1}");
            engine.assertThat(again).stepFromCache("save", other);
            assertContains(failure(() -> engine.assertThat(again).stepFromCache("save", rerun)),
                    "to come from the cache of job " + rerun.id() + ", but it came from job " + other.id());
        }
    }

    @Test
    void manifestAssertionsNameTheValueTheyFound() {
        try (TestEngine engine = TestEngine.inMemory(RECIPE, Map.of("fetch", FakeSteps.succeed(Map.of("n", 1)),
                "parse", FakeSteps.recording(), "save", FakeSteps.recording()))) {
            Job job = engine.run("{}");
            ManifestAssert valid = engine.assertThat(job).manifest().isValid();

            assertContains(failure(() -> valid.hasStatus("failed")),
                    "expected the manifest to hold \"failed\" at /status, but it holds \"completed\"");
            assertContains(failure(() -> valid.hasStepCount(4)),
                    "expected the manifest to hold 4 at /metrics/step_count, but it holds 3");
            assertContains(failure(() -> valid.stepStatus("parse", "skipped")),
                    "expected step 'parse' in the manifest to be skipped, but it is success (attempts 1");
            assertContains(failure(() -> valid.stepStatus("render", "success")),
                    "expected the manifest to have a step 'render', but its steps are [fetch, parse, save]");
            assertContains(failure(() -> valid.hasValue("/steps/0/output/n", 2)),
                    "expected the manifest to hold 2 at /steps/0/output/n, but it holds 1");
            assertContains(failure(() -> valid.hasValue("/output/missing", 2)),
                    "expected the manifest to hold 2 at /output/missing, but it has no value there");
            assertContains(failure(() -> valid.hasOutput("{\"a\": 1}")),
                    "expected the manifest to hold {\"a\":1} at /output, but it holds {}");

            ObjectNode broken = (ObjectNode) valid.manifest().deepCopy();
            broken.remove("version");
            broken.put("status", "finished");
            String invalid = failure(() -> ManifestAssert.assertThat(broken).isValid());
            assertContains(invalid, "expected the manifest of job " + job.id()
                    + " to be valid against the manifest schema, but it has ");
            assertTrue(invalid.contains("version"), invalid);
            assertTrue(invalid.contains("status"), invalid);
        }
    }

    @Test
    void hangingStepThatNeverStartsFailsTheWait() {
        HangingStep never = FakeSteps.hangUntilReleased();
        String message = failure(() -> never.awaitCalls(1, java.time.Duration.ofMillis(50)));
        assertEquals("expected the hanging step to have been called 1 time(s) within PT0.05S, but it was called 0 time(s)",
                message);
    }
}
