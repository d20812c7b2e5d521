package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Test data: jobs, steps and log lines with millisecond instants. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");
    private static final JsonMapper JSON = JsonMapper.shared();

    private Fixtures() {
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** A pending job created at {@code T0 + createdOffsetMs}. */
    static Job job(String id, long createdOffsetMs) {
        Instant created = T0.plusMillis(createdOffsetMs);
        return Job.builder()
                .id(id)
                .recipeId("recipe-" + id)
                .recipeSlug("video")
                .recipeVersion(3)
                .input(json("{\"topic\":\"otters\",\"seconds\":60,\"tags\":[\"a\",\"b\"],\"ratio\":1.5,\"nested\":{\"x\":null}}"))
                .status(JobStatus.PENDING)
                .createdAt(created)
                .updatedAt(created)
                .build();
    }

    static Job job(String id) {
        return job(id, 0);
    }

    /** A job with every nullable field set (and a run-at, priority and idempotency key). */
    static Job fullJob(String id) {
        return job(id).toBuilder()
                .manifest(json("{\"version\":\"1.0.0\",\"job_id\":\"" + id + "\",\"output\":null}"))
                .status(JobStatus.RUNNING)
                .currentStep("script")
                .progress(42)
                .lastError("step tts failed: boom")
                .durationMs(1234)
                .startedAt(T0.plusMillis(5))
                .finishedAt(T0.plusMillis(9))
                .leaseOwner("worker-1")
                .leaseExpiresAt(T0.plusSeconds(30))
                .epoch(7)
                .cancelRequested(true)
                .runAt(T0.plusSeconds(60))
                .priority(-3)
                .idempotencyKey("key-" + id)
                .build();
    }

    static List<JobStep> steps(String jobId, int count) {
        List<JobStep> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(JobStep.pending(jobId + "-s" + i, jobId, "step" + i, i, "type" + i));
        }
        return out;
    }

    static JobStep finished(JobStep s) {
        return s.toBuilder()
                .inputHash("ab".repeat(32))
                .status(dev.stepwise.engine.api.StepStatus.SUCCESS)
                .outputRefs(json("{\"file\":\"out.mp3\",\"bytes\":1024}"))
                .attempts(2)
                .durationMs(77)
                .startedAt(T0.plusMillis(100))
                .completedAt(T0.plusMillis(177))
                .error("first attempt: timeout")
                .skipReason("checkpoint")
                .interruptions(1)
                .build();
    }

    static LogEntry log(String jobId, String message) {
        return new LogEntry(0, jobId, null, 0, T0.plusMillis(1), LogLevel.INFO, message);
    }

    static LogEntry stepLog(String jobId, String stepKey, int attempt, LogLevel level, String message) {
        return new LogEntry(0, jobId, stepKey, attempt, T0.plusMillis(2), level, message);
    }
}
