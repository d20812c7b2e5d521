package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.contract.JobStoreContract;
import dev.stepwise.engine.dashboard.Dashboard;
import dev.stepwise.engine.postgres.PostgresJobStore;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.engine.test.FakeSteps;
import dev.stepwise.engine.test.JobAssert;
import dev.stepwise.engine.test.TestEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host's test: the modules it got through the BOM work together. */
class ConsumerTest {

    @Test
    void runsAJobOnSqliteAndInMemory(@TempDir Path dir) throws Exception {
        try (JobStore store = SqliteJobStore.builder(dir.resolve("app.db")).build();
             JobEngine engine = JobEngine.builder(store)
                     .step("greet", ctx -> Map.of("greeting", "hello, " + ctx.input().get("name").asString()))
                     .recipe(Recipe.builder("hello").step("greet", "greet").build())
                     .build()) {
            Job job = engine.createJob("hello", TestEngine.json("{\"name\": \"world\"}"));
            job = engine.run(job.id());
            assertEquals(JobStatus.COMPLETED, job.status());
            JobAssert.assertThat(engine, job).completed().stepExecuted("greet").output("{\"greeting\": \"hello, world\"}")
                    .manifest().isValid();
        }
        try (TestEngine engine = TestEngine.inMemory(Recipe.builder("hello").step("greet", "greet").build(),
                Map.of("greet", FakeSteps.succeed(Map.of("greeting", "hi"))))) {
            engine.assertThat(engine.run("{}")).completed();
        }
        // Where each module's classes came from: the check asserts the reactor's jars, not a stale copy.
        String where = Stream.of(JobEngine.class, Job.class, SqliteJobStore.class, PostgresJobStore.class,
                        Dashboard.class, TestEngine.class, JobStoreContract.class)
                .map(c -> c.getName() + " " + c.getProtectionDomain().getCodeSource().getLocation().getPath())
                .collect(Collectors.joining("\n"));
        Files.writeString(Path.of("target", "stepwise-classes.txt"), where + "\n");
    }
}
