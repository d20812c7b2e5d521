package dev.stepwise.engine.sqlite.internal;

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

/** Model records to statement parameters and rows back to records. */
public final class Rows {
    private Rows() {
    }

    /**
     * @param j a job
     * @return every column of its row, named as in {@code queries.sql}
     */
    public static Params job(Job j) {
        return Params.of()
                .set("id", j.id())
                .set("recipeId", j.recipeId())
                .set("recipeSlug", j.recipeSlug())
                .set("recipeVersion", j.recipeVersion())
                .set("input", j.input())
                .set("manifest", j.manifest())
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
                .set("leaseExpiresAt", j.leaseExpiresAt())
                .set("epoch", j.epoch())
                .set("cancelRequested", j.cancelRequested())
                .set("runAt", j.runAt())
                .set("priority", j.priority())
                .set("idempotencyKey", j.idempotencyKey())
                .set("logCursor", j.logCursor());
    }

    /**
     * The columns an update of the row may set: every column but the input and the idempotency
     * key (insert-only), with the manifest serialised only when it is written.
     *
     * @param j             a job
     * @param writeManifest whether the manifest is written (else {@code :manifest} is null)
     * @return the parameters of {@code update_job} / {@code update_job_running}, without the guard's
     */
    public static Params jobUpdate(Job j, boolean writeManifest) {
        return Params.of()
                .set("id", j.id())
                .set("recipeId", j.recipeId())
                .set("recipeSlug", j.recipeSlug())
                .set("recipeVersion", j.recipeVersion())
                .set("manifest", writeManifest ? j.manifest() : null)
                .set("writeManifest", writeManifest)
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
                .set("leaseExpiresAt", j.leaseExpiresAt())
                .set("epoch", j.epoch())
                .set("runAt", j.runAt())
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
                .set("cacheable", s.cacheable() ? 1 : 0);
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
     * The statement inserting {@code rows} log lines at once: {@code insert_log}'s text with its
     * {@code VALUES} tuple repeated, each tuple's parameters suffixed with its index (as
     * {@link #logs(List)} names them). One statement per boundary instead of one per line.
     *
     * @param insertLog the one-row {@code insert_log}
     * @param rows      how many lines (>= 1)
     * @return the statement, named {@code insert_log_x<rows>}
     */
    public static NamedSql insertLogs(NamedSql insertLog, int rows) {
        String sql = insertLog.sql();
        int values = sql.toUpperCase(java.util.Locale.ROOT).lastIndexOf("VALUES");
        if (values < 0) {
            throw new IllegalStateException("insert_log has no VALUES clause: " + sql);
        }
        String tuple = sql.substring(values + "VALUES".length()).strip();
        StringBuilder text = new StringBuilder(sql.substring(0, values + "VALUES".length())).append(' ');
        java.util.List<String> params = new java.util.ArrayList<>();
        for (int i = 0; i < rows; i++) {
            text.append(i == 0 ? "" : ", ").append(tuple);
            for (String p : insertLog.params()) {
                params.add(p + "_" + i);
            }
        }
        return new NamedSql(insertLog.name() + "_x" + rows, text.toString(), params);
    }

    /**
     * @param logs log lines with their cursors
     * @return the columns of each, named as {@link #insertLogs(NamedSql, int)} expects
     */
    public static Params logs(java.util.List<LogEntry> logs) {
        Params out = Params.of();
        for (int i = 0; i < logs.size(); i++) {
            LogEntry e = logs.get(i);
            out.set("jobId_" + i, e.jobId())
                    .set("cursor_" + i, e.cursor())
                    .set("stepKey_" + i, e.stepKey())
                    .set("attempt_" + i, e.attempt())
                    .set("at_" + i, e.at())
                    .set("level_" + i, e.level().value())
                    .set("message_" + i, e.message());
        }
        return out;
    }

    /**
     * @param rs a row of {@code jobs}
     * @return the job
     * @throws SQLException on a read failure
     */
    public static Job job(ResultSet rs) throws SQLException {
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
                .leaseExpiresAt(Codec.instant(rs, "lease_expires_at"))
                .epoch(rs.getLong("epoch"))
                .cancelRequested(rs.getInt("cancel_requested") != 0)
                .runAt(Codec.instant(rs, "run_at"))
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
        return JobStep.pending(rs.getString("id"), rs.getString("job_id"), rs.getString("step_key"),
                        rs.getInt("step_order"), rs.getString("step_type")).toBuilder()
                .inputHash(rs.getString("input_hash"))
                .status(StepStatus.fromValue(rs.getString("status")))
                .outputRefs(Codec.json(rs, "output_refs"))
                .attempts(rs.getInt("attempts"))
                .durationMs(rs.getLong("duration_ms"))
                .startedAt(Codec.instant(rs, "started_at"))
                .completedAt(Codec.instant(rs, "completed_at"))
                .error(rs.getString("error"))
                .skipReason(rs.getString("skip_reason"))
                .interruptions(rs.getInt("interruptions"))
                .attemptLog(Codec.attempts(rs.getString("attempt_log")))
                .cachedFrom(rs.getString("cached_from"))
                .cacheable(rs.getInt("cacheable") == 1)
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
