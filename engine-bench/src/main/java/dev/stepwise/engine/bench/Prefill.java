package dev.stepwise.engine.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import org.sqlite.SQLiteConfig;

/**
 * Fills the engine's own tables (schema V1: jobs, job_steps, job_logs) with completed jobs
 * with plain JDBC in big transactions, {@code synchronous=OFF}: the rows a store holds after
 * running that many jobs (a job row with a real manifest, S success step rows, the log lines a
 * run writes: created, run started, 2 per step, completed).
 */
final class Prefill {
    private static final int JOBS_PER_TX = 10_000;

    private Prefill() {
    }

    /**
     * @return the number of step rows stored afterwards (at least {@code target})
     */
    static long fill(Path file, long stored, long target, int steps, String manifest, Clock clock) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.OFF);
        long firstJob = stored / steps;
        long jobs = (target - stored + steps - 1) / steps;
        long base = clock.millis() - 86_400_000L;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties());
                Statement tx = c.createStatement();
                PreparedStatement job = c.prepareStatement("INSERT INTO jobs (id, recipe_id, recipe_slug, recipe_version,"
                        + " input, manifest, status, current_step, progress, duration_ms, created_at, updated_at, started_at,"
                        + " finished_at, epoch) VALUES (?, 'prefill@1', 'prefill', 1, '{\"n\":1}', ?, 'completed', ?, 100, 3,"
                        + " ?, ?, ?, ?, 1)");
                PreparedStatement step = c.prepareStatement("INSERT INTO job_steps (id, job_id, step_key, step_order,"
                        + " step_type, input_hash, status, output_refs, attempts, duration_ms, started_at, completed_at)"
                        + " VALUES (?, ?, ?, ?, 'work', ?, 'success', '{}', 1, 0, ?, ?)");
                PreparedStatement log = c.prepareStatement("INSERT INTO job_logs (job_id, step_key, attempt, at, level,"
                        + " message, cursor) VALUES (?, ?, ?, ?, 'info', ?, ?)")) {
            try (var rs = tx.executeQuery("SELECT sql FROM sqlite_master WHERE name = 'job_logs'")) {
                perJobCursor = rs.next() && rs.getString(1).toUpperCase(java.util.Locale.ROOT).contains("WITHOUT ROWID");
            }
            tx.execute("BEGIN IMMEDIATE");
            cursor = 0;
            for (long j = 0; j < jobs; j++) {
                long n = firstJob + j;
                String id = String.format("00PREFILL%017d", n);
                long at = base + n;
                job.setString(1, id);
                job.setString(2, manifest);
                job.setString(3, "s" + (steps - 1));
                job.setLong(4, at);
                job.setLong(5, at);
                job.setLong(6, at);
                job.setLong(7, at);
                job.executeUpdate();
                cursor = 0;
                log(log, id, null, 0, at, "job created from recipe prefill@1");
                log(log, id, null, 0, at, "run started by runner prefill (epoch 1)");
                for (int k = 0; k < steps; k++) {
                    step.setString(1, id + "-" + k);
                    step.setString(2, id);
                    step.setString(3, "s" + k);
                    step.setInt(4, k);
                    step.setString(5, String.format("%064x", n * 64 + k));
                    step.setLong(6, at);
                    step.setLong(7, at);
                    step.executeUpdate();
                    log(log, id, "s" + k, 1, at, "attempt 1 started");
                    log(log, id, "s" + k, 1, at, "attempt 1 succeeded in 0 ms");
                }
                log(log, id, null, 0, at, "job COMPLETED (completed)");
                if ((j + 1) % JOBS_PER_TX == 0) {
                    tx.execute("COMMIT");
                    tx.execute("BEGIN IMMEDIATE");
                }
            }
            tx.execute("COMMIT");
            tx.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        return (firstJob + jobs) * steps;
    }

    private static long cursor;
    private static boolean perJobCursor;

    private static void log(PreparedStatement log, String jobId, String stepKey, int attempt, long at, String message)
            throws SQLException {
        log.setString(1, jobId);
        log.setString(2, stepKey);
        log.setInt(3, attempt);
        log.setLong(4, at);
        log.setString(5, message);
        if (perJobCursor) {
            log.setLong(6, ++cursor); // schema V8: job_logs clustered by (job_id, cursor), cursors increase within a job
        } else {
            log.setNull(6, java.sql.Types.INTEGER); // before V8: the rowid
        }
        log.executeUpdate();
    }
}
