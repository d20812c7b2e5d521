package dev.stepwise.engine.micrometer;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.AttemptTrace;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.contract.MutableClock;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Spans of a real engine on a SQLite file, through Micrometer Tracing's OpenTelemetry bridge into
 * the OpenTelemetry SDK's in-memory exporter.
 */
class StepwiseTracingTest {
    @TempDir
    Path dir;
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private SdkTracerProvider provider;
    private ObservationRegistry observations;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void tracing() {
        provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
        OtelCurrentTraceContext current = new OtelCurrentTraceContext();
        OtelTracer tracer = new OtelTracer(provider.get("stepwise-test"), current, event -> {
        }, new OtelBaggageManager(current, List.of(), List.of()));
        observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                new StepwiseTracingObservationHandler(tracer), new DefaultTracingObservationHandler(tracer)));
    }

    @AfterEach
    void close() {
        provider.close();
    }

    private SqliteJobStore store() {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }

    @Test
    void stepSpansAreChildrenOfTheJobSpanWhichIsAChildOfTheCallersObservation() {
        try (SqliteJobStore store = store();
                JobEngine engine = JobEngine.builder(store)
                        .eventListener(StepwiseObservability.builder(observations, meters).build())
                        .step("ok", ctx -> Map.of("ok", true))
                        .recipe(Recipe.builder("chain").step("a", "ok").step("b", "ok").build())
                        .recipe(Recipe.builder("fan").step("a", "ok")
                                .step(StepDefinition.builder("b", "ok").dependsOn("a").build())
                                .step(StepDefinition.builder("c", "ok").dependsOn("a").build()).build())
                        .build()) {
            Observation host = Observation.start("host.request", observations);
            Job chain;
            try (Observation.Scope scope = host.openScope()) {
                chain = engine.run(engine.createJob("chain", obj()).id());
            }
            host.stop();
            Job fan = engine.run(engine.createJob("fan", obj()).id()); // b and c run on the engine's step threads

            assertEquals(JobStatus.COMPLETED, chain.status());
            assertEquals(JobStatus.COMPLETED, fan.status());
            SpanData hostSpan = span("host.request");
            SpanData chainJob = span("job chain");
            assertEquals(hostSpan.getSpanId(), chainJob.getParentSpanId());
            assertEquals(hostSpan.getTraceId(), chainJob.getTraceId());
            assertEquals(chain.id(), chainJob.getAttributes().get(AttributeKey.stringKey("stepwise.job_id")));
            List<SpanData> chainSteps = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(chainJob.getTraceId()) && s.getName().startsWith("step ")).toList();
            assertEquals(2, chainSteps.size(), chainSteps::toString);
            chainSteps.forEach(s -> assertEquals(chainJob.getSpanId(), s.getParentSpanId(), s::toString));
            SpanData fanJob = span("job fan");
            List<SpanData> fanSteps = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(fanJob.getTraceId()) && s.getName().startsWith("step ")).toList();
            assertEquals(3, fanSteps.size(), fanSteps::toString);
            fanSteps.forEach(s -> assertEquals(fanJob.getSpanId(), s.getParentSpanId(), s::toString));

            JobStep stored = engine.steps(chain.id()).get(1);
            AttemptTrace ids = stored.attemptLog().get(0).trace().orElseThrow();
            SpanData stepB = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("step b") && s.getTraceId().equals(chainJob.getTraceId())).findFirst()
                    .orElseThrow();
            assertEquals(new AttemptTrace(stepB.getTraceId(), stepB.getSpanId()), ids);
        }
    }

    @Test
    void aFailedStepsSpanHasErrorStatusAndTheException() {
        try (SqliteJobStore store = store();
                JobEngine engine = JobEngine.builder(store)
                        .eventListener(StepwiseObservability.builder(observations, meters).build())
                        .step("boom", ctx -> {
                            throw new PermanentStepException("the service said no");
                        })
                        .recipe(Recipe.builder("failing").step("a", "boom").build())
                        .build()) {
            Job failed = engine.run(engine.createJob("failing", obj()).id());

            assertEquals(JobStatus.FAILED, failed.status());
            SpanData step = span("step a");
            assertEquals(StatusCode.ERROR, step.getStatus().getStatusCode());
            EventData exception = step.getEvents().stream().filter(e -> e.getName().equals("exception")).findFirst()
                    .orElseThrow(() -> new AssertionError("no exception event on " + step));
            assertEquals("the service said no", exception.getAttributes().get(AttributeKey.stringKey("exception.message")));
            assertEquals("failed", step.getAttributes().get(AttributeKey.stringKey("outcome")));
            assertEquals("failed", span("job failing").getAttributes().get(AttributeKey.stringKey("outcome")));
        }
    }

    @Test
    void aRunResumedAfterACrashLinksTheStepsNewSpanToThePreviousAttemptsStoredSpan() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        RunListener crashAfterB = new RunListener() {
            @Override
            public void afterStepExecuted(String jobId, String stepKey) {
                if (stepKey.equals("b")) {
                    throw new IllegalStateException("simulated crash after step b ran, before its result was recorded");
                }
            }
        };
        String jobId;
        try (SqliteJobStore store = store();
                JobEngine first = engine(store, clock).listener(crashAfterB).build()) {
            jobId = first.createJob("chain", obj()).id();
            assertThrows(IllegalStateException.class, () -> first.run(jobId));
        }
        AttemptTrace crashed;
        try (SqliteJobStore store = store()) {
            JobStep b = store.findSteps(jobId).get(1);
            crashed = b.attemptLog().get(0).trace().orElseThrow(() -> new AssertionError("no trace stored at the attempt's start"));
        }
        exporter.reset();

        clock.advance(JobEngine.DEFAULT_LEASE_TTL.plus(Duration.ofSeconds(1)));
        try (SqliteJobStore store = store(); JobEngine restarted = engine(store, clock).build()) {
            Job done = restarted.run(jobId);

            assertEquals(JobStatus.COMPLETED, done.status(), () -> "last error: " + done.lastError());
            SpanData resumed = span("step b");
            assertEquals(1, resumed.getLinks().size(), resumed::toString);
            assertEquals(crashed.traceId(), resumed.getLinks().get(0).getSpanContext().getTraceId());
            assertEquals(crashed.spanId(), resumed.getLinks().get(0).getSpanContext().getSpanId());
            assertEquals("skipped-checkpoint", span("step a").getAttributes().get(AttributeKey.stringKey("outcome")));
            assertEquals(1.0, meters.get(StepwiseObservability.RECOVERIES).tag("recipe", "chain").counter().count());

            JsonNode manifest = restarted.manifest(jobId);
            assertValidManifest(manifest);
            JsonNode log = manifest.path("steps").get(1).path("attempt_log");
            assertEquals(2, log.size(), log::toString);
            assertEquals("interrupted", log.get(0).path("outcome").asString());
            assertEquals(crashed.traceId(), log.get(0).path("trace").path("trace_id").asString());
            assertEquals(crashed.spanId(), log.get(0).path("trace").path("span_id").asString());
            assertEquals(resumed.getSpanId(), log.get(1).path("trace").path("span_id").asString());
            Attempt second = restarted.steps(jobId).get(1).attemptLog().get(1);
            assertEquals(resumed.getTraceId(), second.trace().orElseThrow().traceId());
            assertTrue(!crashed.spanId().equals(resumed.getSpanId()));
        }
    }

    private dev.stepwise.engine.core.JobEngineBuilder engine(SqliteJobStore store, MutableClock clock) {
        return JobEngine.builder(store).clock(clock)
                .eventListener(StepwiseObservability.builder(observations, meters).build())
                .step("ok", ctx -> Map.of("ok", true))
                .recipe(Recipe.builder("chain").step("a", "ok").step("b", "ok").build());
    }

    private SpanData span(String name) {
        List<SpanData> found = spans(name);
        assertEquals(1, found.size(), () -> "spans named '" + name + "': " + exporter.getFinishedSpanItems());
        return found.get(0);
    }

    private List<SpanData> spans(String... names) {
        List<String> wanted = List.of(names);
        return exporter.getFinishedSpanItems().stream().filter(s -> wanted.contains(s.getName())).toList();
    }
}
