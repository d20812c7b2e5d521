package dev.stepwise.spring.boot.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.spring.boot.StepwiseWorkers;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;

/**
 * Real applications ({@code SpringApplication}, every auto-configuration on the classpath, no
 * DataSource so the store is a SQLite file): workers stop with the context and hand running jobs
 * back; start-up failures are reported by Spring Boot's failure analysis.
 */
@ExtendWith(OutputCaptureExtension.class)
class ApplicationLifecycleTest {
    @TempDir
    Path dir;

    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration(excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
    @Import(TestSteps.GateConfig.class)
    static class App {
    }

    ConfigurableApplicationContext start(String... properties) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("stepwise.sqlite.path=" + dir.resolve("jobs.db"), "stepwise.workers.poll-interval=50ms",
                        "stepwise.recipes.locations=classpath:test-recipes/hang.json", "spring.main.banner-mode=off")
                .properties(properties)
                .run();
    }

    SqliteJobStore store() {
        return SqliteJobStore.builder(dir.resolve("jobs.db")).build();
    }

    @Test
    void closingTheContextHandsAHangingJobBackPendingWithItsLeaseReleased() throws Exception {
        TestSteps.Gate gate;
        String id;
        try (ConfigurableApplicationContext ctx = start("stepwise.workers.shutdown-grace=200ms")) {
            JobEngine engine = ctx.getBean(JobEngine.class);
            gate = ctx.getBean(TestSteps.Gate.class);
            id = engine.submit("hang", StarterContextTest.json("{}"), SubmitOptions.defaults()).job().id();
            Await.until("a worker runs the gate step", () -> gate.started.get() == 1);
            assertThat(engine.job(id).status()).isEqualTo(JobStatus.RUNNING);
            assertThat(engine.job(id).leaseOwner()).isNotNull();
        }
        try (SqliteJobStore store = store()) {
            Job job = store.findJob(id).orElseThrow();
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.leaseOwner()).isNull();
            assertThat(job.leaseExpiresAt()).isNull();
            List<JobStep> steps = store.findSteps(id);
            assertThat(steps).singleElement().satisfies(s -> assertThat(s.status()).isNotEqualTo(StepStatus.SUCCESS));
        } finally {
            gate.open();
        }
    }

    @Test
    void aStepThatFinishesWithinTheGracePeriodIsCheckpointedAndTheNextStartReusesIt() throws Exception {
        ConfigurableApplicationContext ctx = start("stepwise.workers.shutdown-grace=10m");
        JobEngine engine = ctx.getBean(JobEngine.class);
        TestSteps.Gate gate = ctx.getBean(TestSteps.Gate.class);
        StepwiseWorkers workers = ctx.getBean(StepwiseWorkers.class);
        String id = engine.submit("hang", StarterContextTest.json("{}"), SubmitOptions.defaults()).job().id();
        Await.until("a worker runs the gate step", () -> gate.started.get() == 1);
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        Thread closer = new Thread(() -> {
            try {
                ctx.close();
            } catch (Throwable t) {
                closeFailure.set(t);
            }
        }, "closer");
        closer.start();
        Await.until("the context begins to stop the workers", () -> !workers.isRunning());
        assertThat(ctx.isActive()).isTrue();
        gate.open();
        closer.join(Await.GUARD.toMillis());
        assertThat(closer.isAlive()).as("the context closed").isFalse();
        assertThat(closeFailure.get()).isNull();
        try (SqliteJobStore store = store()) {
            assertThat(store.findSteps(id)).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(StepStatus.SUCCESS));
            Job job = store.findJob(id).orElseThrow();
            assertThat(job.status()).isEqualTo(JobStatus.PENDING); // stopped at the step boundary, handed back
            assertThat(job.leaseOwner()).isNull();
        }
        try (ConfigurableApplicationContext again = start()) {
            JobEngine next = again.getBean(JobEngine.class);
            Await.until("the next application's workers complete job " + id, () -> next.job(id).status() == JobStatus.COMPLETED);
            assertThat(again.getBean(TestSteps.Gate.class).started.get()).as("the checkpoint was reused").isZero();
            assertThat(next.steps(id)).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(StepStatus.SKIPPED));
        }
    }

    @Test
    void aBrokenRecipeFailsStartupWithTheEnginesMessageInTheFailureReport(CapturedOutput output) {
        assertThatThrownBy(() -> start("stepwise.recipes.locations=classpath*:test-recipes/broken/*.json"))
                .hasStackTraceContaining("recipe 'broken' is invalid");
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                .contains("A Stepwise recipe could not be published: recipe 'broken' is invalid: ")
                .contains("no-such-step");
    }

    @Test
    void aBadPropertyFailsStartupWithAReportNamingIt(CapturedOutput output) {
        assertThatThrownBy(() -> start("stepwise.workers.count=-1"));
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                .contains("stepwise.workers")
                .contains("stepwise.workers.count must be >= 1, was -1");
    }
}
