package dev.stepwise.spring.boot.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.core.InMemoryJobStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.dashboard.Dashboard;
import dev.stepwise.engine.micrometer.StepwiseObservability;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.spring.boot.StepwiseAutoConfiguration;
import dev.stepwise.spring.boot.StepwiseEngineCustomizer;
import dev.stepwise.spring.boot.StepwiseWorkers;
import dev.stepwise.spring.boot.internal.InvalidRecipeFailureAnalyzer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The auto-configuration on SQLite (a file in a temp folder), in contexts built by
 * {@link ApplicationContextRunner}: beans, overrides, Step beans, recipes, workers, dashboard.
 */
class StarterContextTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(StepwiseAutoConfiguration.class))
                .withPropertyValues("stepwise.sqlite.path=" + dir.resolve("db/jobs.db"),
                        "stepwise.workers.poll-interval=50ms");
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** The job as a fresh store on the file reads it, after the context closed. */
    Job storedJob(String id) {
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("db/jobs.db")).build()) {
            return store.findJob(id).orElseThrow();
        }
    }

    @Test
    void startsOnASqliteFileAndRunsARecipeWhoseStepIsABean() {
        AtomicReference<String> id = new AtomicReference<>();
        runner().withUserConfiguration(TestSteps.ShoutConfig.class)
                .withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/shout.json",
                        "stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(JobEngine.class).hasSingleBean(JobStore.class);
                    assertThat(ctx.getBean(JobStore.class)).isInstanceOf(SqliteJobStore.class);
                    assertThat(dir.resolve("db/jobs.db")).exists();
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    assertThat(engine.catalog().recipe("shout", null).version()).isEqualTo(1);
                    Job job = engine.run(engine.createJob("shout", json("{\"text\": \"hello\"}")).id());
                    assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
                    assertThat(engine.manifest(job.id()).path("output").toString()).contains("HELLO");
                    id.set(job.id());
                });
        Job stored = storedJob(id.get());
        assertThat(stored.status()).isEqualTo(JobStatus.COMPLETED);
        assertThat(stored.recipeSlug()).isEqualTo("shout");
    }

    @Test
    void workersStartWithTheContextAndRunSubmittedJobs() {
        AtomicReference<StepwiseWorkers> workers = new AtomicReference<>();
        AtomicReference<String> id = new AtomicReference<>();
        runner().withUserConfiguration(TestSteps.ShoutConfig.class)
                .withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/shout.json",
                        "stepwise.workers.count=2")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(StepwiseWorkers.class);
                    StepwiseWorkers w = ctx.getBean(StepwiseWorkers.class);
                    workers.set(w);
                    assertThat(w.isRunning()).isTrue();
                    assertThat(w.options().count()).isEqualTo(2);
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    String jobId = engine.submit("shout", json("{\"text\": \"queued\"}"), SubmitOptions.defaults()).job().id();
                    id.set(jobId);
                    Await.until("the workers complete job " + jobId, () -> engine.job(jobId).status() == JobStatus.COMPLETED);
                    // jobsRun counts once the runner has returned, just after the job's terminal commit
                    Await.until("the workers count the job", () -> w.workers().orElseThrow().jobsRun() == 1);
                });
        assertThat(workers.get().isRunning()).isFalse();
        assertThat(storedJob(id.get()).status()).isEqualTo(JobStatus.COMPLETED);
    }

    @Test
    void workersOffLeavesSubmittedJobsPending() {
        AtomicReference<String> id = new AtomicReference<>();
        runner().withUserConfiguration(TestSteps.ShoutConfig.class)
                .withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/shout.json",
                        "stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().doesNotHaveBean(StepwiseWorkers.class).hasSingleBean(JobEngine.class);
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    id.set(engine.submit("shout", json("{\"text\": \"later\"}"), SubmitOptions.defaults()).job().id());
                });
        Job stored = storedJob(id.get());
        assertThat(stored.status()).isEqualTo(JobStatus.PENDING);
        assertThat(stored.leaseOwner()).isNull();
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnEngine {
        static final InMemoryJobStore STORE = new InMemoryJobStore();

        @Bean
        JobEngine myEngine() {
            return JobEngine.builder(STORE).runnerId("mine").step("shout", new TestSteps.Shout()).build();
        }
    }

    @Test
    void anEngineBeanOfTheApplicationWinsAndItsWorkersRunIt() {
        runner().withUserConfiguration(OwnEngine.class)
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(JobEngine.class).doesNotHaveBean(JobStore.class);
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    assertThat(engine.runnerId()).isEqualTo("mine");
                    assertThat(ctx).hasSingleBean(StepwiseWorkers.class);
                    engine.catalog().publishRecipe(json(Files.readString(Path.of("src/test/resources/test-recipes/shout.json"))));
                    String jobId = engine.submit("shout", json("{\"text\": \"own\"}"), SubmitOptions.defaults()).job().id();
                    Await.until("job " + jobId + " completes", () -> OwnEngine.STORE.findJob(jobId).orElseThrow().status() == JobStatus.COMPLETED);
                });
        assertThat(dir.resolve("db/jobs.db")).doesNotExist();
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStore {
        @Bean
        JobStore myStore() {
            return new InMemoryJobStore();
        }
    }

    @Test
    void aStoreBeanOfTheApplicationIsTheEnginesStore() {
        runner().withUserConfiguration(OwnStore.class, TestSteps.ShoutConfig.class)
                .withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/shout.json", "stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(JobStore.class);
                    JobStore store = ctx.getBean(JobStore.class);
                    assertThat(store).isInstanceOf(InMemoryJobStore.class);
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    Job job = engine.run(engine.createJob("shout", json("{\"text\": \"x\"}")).id());
                    assertThat(store.findJob(job.id()).orElseThrow().status()).isEqualTo(JobStatus.COMPLETED);
                });
        assertThat(dir.resolve("db/jobs.db")).doesNotExist();
    }

    @Configuration(proxyBeanMethods = false)
    static class Extras {
        static final List<JsonNode> MANIFESTS = new CopyOnWriteArrayList<>();

        @Bean
        StepwiseEngineCustomizer registersShout() {
            return builder -> builder.step("shout", new TestSteps.Shout());
        }

        @Bean
        ManifestWriter collects() {
            return (job, manifest) -> MANIFESTS.add(manifest);
        }
    }

    @Test
    void customizersAndManifestWriterBeansReachTheEngine() {
        runner().withUserConfiguration(Extras.class)
                .withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/shout.json", "stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    Job job = engine.run(engine.createJob("shout", json("{\"text\": \"m\"}")).id());
                    assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
                    assertThat(Extras.MANIFESTS).anySatisfy(m -> {
                        assertThat(m.path("job_id").asString()).isEqualTo(job.id());
                        assertThat(m.path("output").toString()).contains("M");
                    });
                });
    }

    @Test
    void aRecipeNamingAStepNoBeanProvidesFailsStartupWithTheEnginesMessage() {
        runner().withPropertyValues("stepwise.recipes.locations=classpath*:test-recipes/broken/*.json")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    Throwable failure = ctx.getStartupFailure();
                    InvalidRecipeException cause = findCause(failure, InvalidRecipeException.class);
                    assertThat(cause.slug()).isEqualTo("broken");
                    assertThat(cause.getMessage()).startsWith("recipe 'broken' is invalid: ").contains("no-such-step");
                    FailureAnalysis analysis = new InvalidRecipeFailureAnalyzer().analyze(failure);
                    assertThat(analysis.getDescription()).contains(cause.getMessage());
                    assertThat(analysis.getAction()).contains("stepwise.recipes.locations");
                });
        assertThat(dir.resolve("db/jobs.db")).exists(); // the store opened; nothing was published
    }

    @Test
    void aRecipeFileThatIsNotJsonFailsStartupNamingTheFile() {
        runner().withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/notjson/bad.json")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    InvalidRecipeException cause = findCause(ctx.getStartupFailure(), InvalidRecipeException.class);
                    assertThat(cause.getMessage()).contains("class path resource [test-recipes/notjson/bad.json] is not valid JSON");
                });
    }

    @Test
    void aMissingRecipeFileFailsStartupButAnEmptyPatternDoesNot() {
        runner().withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/nope.json")
                .run(ctx -> assertThat(messages(ctx.getStartupFailure()))
                        .contains("stepwise.recipes.locations: classpath:test-recipes/nope.json does not exist"));
        runner().withPropertyValues("stepwise.recipes.locations=classpath*:test-recipes/none/*.json", "stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(JobEngine.class).catalog().recipes()).isEmpty();
                });
    }

    @Test
    void theDashboardIsServedWhenSwitchedOn() {
        runner().withPropertyValues("stepwise.dashboard.enabled=true", "stepwise.dashboard.port=0", "stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(Dashboard.class);
                    URI uri = ctx.getBean(Dashboard.class).uri();
                    HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(page.statusCode()).isEqualTo(200);
                    assertThat(page.body()).containsIgnoringCase("stepwise");
                });
        runner().withPropertyValues("stepwise.workers.enabled=false")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(Dashboard.class));
    }

    @Test
    void theDashboardSwitchedOnWithoutItsModuleFailsStartup() {
        runner().withClassLoader(new FilteredClassLoader(Dashboard.class))
                .withPropertyValues("stepwise.dashboard.enabled=true", "stepwise.workers.enabled=false")
                .run(ctx -> assertThat(messages(ctx.getStartupFailure()))
                        .contains("stepwise.dashboard.enabled=true needs dev.stepwise:engine-dashboard on the classpath"));
    }

    @Test
    void observabilitySwitchedOnRecordsJobsAndStepsInTheApplicationsRegistries() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        runner().withUserConfiguration(TestSteps.ShoutConfig.class)
                .withBean(MeterRegistry.class, () -> meters)
                .withBean(ObservationRegistry.class, () -> observations)
                .withPropertyValues("stepwise.recipes.locations=classpath:test-recipes/shout.json",
                        "stepwise.workers.enabled=false", "stepwise.observability.enabled=true")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasBean(StepwiseAutoConfiguration.OBSERVABILITY_CUSTOMIZER);
                    JobEngine engine = ctx.getBean(JobEngine.class);
                    Job job = engine.run(engine.createJob("shout", json("{\"text\": \"observed\"}")).id());
                    assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
                    assertThat(meters.find("stepwise.job").tag("recipe", "shout").timer()).isNotNull();
                    assertThat(meters.find("stepwise.step").tag("recipe", "shout").tag("step", "shout")
                            .tag("outcome", "success").timer().count()).isEqualTo(1);
                });
    }

    @Test
    void observabilityIsOffUnlessSwitchedOn() {
        runner().withPropertyValues("stepwise.workers.enabled=false")
                .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(StepwiseAutoConfiguration.OBSERVABILITY_CUSTOMIZER));
    }

    @Test
    void observabilitySwitchedOnWithoutItsModuleFailsStartup() {
        runner().withClassLoader(new FilteredClassLoader(StepwiseObservability.class))
                .withPropertyValues("stepwise.observability.enabled=true", "stepwise.workers.enabled=false")
                .run(ctx -> assertThat(messages(ctx.getStartupFailure()))
                        .contains("stepwise.observability.enabled=true needs dev.stepwise:engine-micrometer on the classpath"));
    }

    static <T extends Throwable> T findCause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the causes of " + t, t);
    }

    /** Every message of the cause chain, one per line. */
    static String messages(Throwable t) {
        assertThat(t).as("a start-up failure").isNotNull();
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
