package dev.stepwise.engine.postgres.internal;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.VersionedDocument;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Model records to statement parameters and rows back to records. A job's {@code runAt} and
 * {@code leaseExpiresAt} cross the {@link ClockOffset}: the table holds them on the database's
 * clock, the records on the engine's.
 */
public final class Rows {
    private final ClockOffset clock;

    /** @param clock converts between the engine's and the database's clock */
    public Rows(ClockOffset clock) {
        this.clock = clock;
    }

    /**
     * @param j a job
     * @return every column of its row, named as in {@code queries.sql} (but the write token)
     */
    public Params job(Job j) {
        return jobUpdate(j)
                .set("input", j.input())
                .set("manifest", j.manifest())
                .set("cancelRequested", j.cancelRequested())
                .set("idempotencyKey", j.idempotencyKey());
    }

    /**
     * The columns an update of the row may set: every column but the input, the idempotency
     * key, the manifest and the cancel flag (the caller decides about those two).
     *
     * @param j a job
     * @return the parameters of {@code update_job}, without the guard's and the manifest's
     */
    public Params jobUpdate(Job j) {
        return Params.of()
                .set("id", j.id())
                .set("recipeId", j.recipeId())
                .set("recipeSlug", j.recipeSlug())
                .set("recipeVersion", j.recipeVersion())
                .set("status", j.status().value())
                .set("currentStep", j.currentStep())
                .set("progress", j.progress())
                .set("lastError", j.lastError())
                .set("durationMs", j.durationMs())
                .set("createdAt", j.createdAt())
                .set("updatedAt", j.updatedAt())
                .set("startedAt", j.startedAt())
                .set("finishedAt", j.finishedAt())
                .set("leaseOwner", j.leaseOwner())
                .set("leaseExpiresAt", clock.toDatabase(j.leaseExpiresAt()))
                .set("epoch", j.epoch())
                .set("runAt", clock.toDatabase(j.runAt()))
                .set("priority", j.priority())
                .set("logCursor", j.logCursor());
    }

    /**
     * @param s a step row
     * @return every column of it, named as in {@code queries.sql}
     */
    public static Params step(JobStep s) {
        return Params.of()
                .set("id", s.id())
                .set("jobId", s.jobId())
                .set("stepKey", s.stepKey())
                .set("stepOrder", s.stepOrder())
                .set("stepType", s.stepType())
                .set("inputHash", s.inputHash())
                .set("status", s.status().value())
                .set("outputRefs", s.outputRefs())
                .set("attempts", s.attempts())
                .set("durationMs", s.durationMs())
                .set("startedAt", s.startedAt())
                .set("completedAt", s.completedAt())
                .set("error", s.error())
                .set("skipReason", s.skipReason())
                .set("interruptions", s.interruptions())
                .set("attemptLog", Codec.attempts(s.attemptLog()))
                .set("cachedFrom", s.cachedFrom())
                .set("cacheable", s.cacheable());
    }

    /**
     * @param e a log line with its cursor
     * @return its columns
     */
    public static Params log(LogEntry e) {
        return Params.of()
                .set("jobId", e.jobId())
                .set("cursor", e.cursor())
                .set("stepKey", e.stepKey())
                .set("attempt", e.attempt())
                .set("at", e.at())
                .set("level", e.level().value())
                .set("message", e.message());
    }

    /**
     * @param rs a row of {@code jobs}
     * @return the job
     * @throws SQLException on a read failure
     */
    public Job job(ResultSet rs) throws SQLException {
        return Job.builder()
                .id(rs.getString("id"))
                .recipeId(rs.getString("recipe_id"))
                .recipeSlug(rs.getString("recipe_slug"))
                .recipeVersion(rs.getInt("recipe_version"))
                .input(Codec.json(rs, "input"))
                .manifest(Codec.json(rs, "manifest"))
                .status(JobStatus.fromValue(rs.getString("status")))
                .currentStep(rs.getString("current_step"))
                .progress(rs.getInt("progress"))
                .lastError(rs.getString("last_error"))
                .durationMs(rs.getLong("duration_ms"))
                .createdAt(Codec.instant(rs, "created_at"))
                .updatedAt(Codec.instant(rs, "updated_at"))
                .startedAt(Codec.instant(rs, "started_at"))
                .finishedAt(Codec.instant(rs, "finished_at"))
                .leaseOwner(rs.getString("lease_owner"))
                .leaseExpiresAt(clock.toEngine(Codec.instant(rs, "lease_expires_at")))
                .epoch(rs.getLong("epoch"))
                .cancelRequested(rs.getBoolean("cancel_requested"))
                .runAt(clock.toEngine(Codec.instant(rs, "run_at")))
                .priority(rs.getInt("priority"))
                .idempotencyKey(rs.getString("idempotency_key"))
                .logCursor(rs.getLong("log_cursor"))
                .build();
    }

    /**
     * @param rs a row of {@code job_steps}
     * @return the step row
     * @throws SQLException on a read failure
     */
    public static JobStep step(ResultSet rs) throws SQLException {
        return step(rs, "");
    }

    /**
     * @param rs     a row holding the columns of {@code job_steps}, each named with a prefix
     * @param prefix the prefix ({@code s_} when the row also holds the job's columns)
     * @return the step row
     * @throws SQLException on a read failure
     */
    public static JobStep step(ResultSet rs, String prefix) throws SQLException {
        return JobStep.pending(rs.getString(prefix + "id"), rs.getString(prefix + "job_id"), rs.getString(prefix + "step_key"),
                        rs.getInt(prefix + "step_order"), rs.getString(prefix + "step_type")).toBuilder()
                .inputHash(rs.getString(prefix + "input_hash"))
                .status(StepStatus.fromValue(rs.getString(prefix + "status")))
                .outputRefs(Codec.json(rs, prefix + "output_refs"))
                .attempts(rs.getInt(prefix + "attempts"))
                .durationMs(rs.getLong(prefix + "duration_ms"))
                .startedAt(Codec.instant(rs, prefix + "started_at"))
                .completedAt(Codec.instant(rs, prefix + "completed_at"))
                .error(rs.getString(prefix + "error"))
                .skipReason(rs.getString(prefix + "skip_reason"))
                .interruptions(rs.getInt(prefix + "interruptions"))
                .attemptLog(Codec.attempts(rs.getString(prefix + "attempt_log")))
                .cachedFrom(rs.getString(prefix + "cached_from"))
                .cacheable(rs.getBoolean(prefix + "cacheable"))
                .build();
    }

    /**
     * @param rs a row of {@code job_logs}
     * @return the log line with its cursor
     * @throws SQLException on a read failure
     */
    public static LogEntry log(ResultSet rs) throws SQLException {
        return new LogEntry(
                rs.getLong("cursor"),
                rs.getString("job_id"),
                rs.getString("step_key"),
                rs.getInt("attempt"),
                Codec.instant(rs, "at"),
                LogLevel.fromValue(rs.getString("level")),
                rs.getString("message"));
    }

    /**
     * @param d a document version
     * @return its columns
     */
    public static Params document(VersionedDocument d) {
        return Params.of()
                .set("kind", d.kind().value())
                .set("key", d.key())
                .set("version", d.version())
                .set("contentHash", d.contentHash())
                .set("content", d.content())
                .set("createdAt", d.createdAt());
    }

    /**
     * @param rs a row of {@code documents}
     * @return the document version
     * @throws SQLException on a read failure
     */
    public static VersionedDocument document(ResultSet rs) throws SQLException {
        return new VersionedDocument(
                DocumentKind.fromValue(rs.getString("kind")),
                rs.getString("key"),
                rs.getInt("version"),
                rs.getString("content_hash"),
                Codec.json(rs, "content"),
                Codec.instant(rs, "created_at"));
    }
}
