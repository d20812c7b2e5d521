package dev.stepwise.engine.bench;

import dev.stepwise.engine.sqlite.Synchronous;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import org.sqlite.SQLiteConfig;

/**
 * The floor: the least a durable engine must do per step with plain sqlite-jdbc. One
 * {@code BEGIN IMMEDIATE ... COMMIT} per step that records the step's result on its row and
 * the job's progress on the job's row; a minimal two-table schema; the store's pragmas (WAL,
 * the same {@code synchronous}, foreign keys, busy timeout); reused prepared statements.
 */
final class Floor {
    private Floor() {
    }

    static Connection open(Path file, Synchronous sync) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setBusyTimeout(30_000);
        config.enforceForeignKeys(true);
        config.setSynchronous(sync == Synchronous.FULL ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        return DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), config.toProperties());
    }

    /** Creates the schema and J pending jobs of S pending steps (not timed). */
    static void prepare(Connection c, int jobs, int steps) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE jobs (id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL, current_step TEXT,"
                    + " progress INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL) STRICT");
            s.execute("CREATE TABLE steps (id TEXT NOT NULL PRIMARY KEY, job_id TEXT NOT NULL REFERENCES jobs (id),"
                    + " step_order INTEGER NOT NULL, status TEXT NOT NULL, output TEXT, duration_ms INTEGER NOT NULL DEFAULT 0,"
                    + " completed_at INTEGER, UNIQUE (job_id, step_order)) STRICT");
            s.execute("BEGIN IMMEDIATE");
            try (PreparedStatement job = c.prepareStatement("INSERT INTO jobs (id, status, updated_at) VALUES (?, 'pending', 0)");
                    PreparedStatement step = c.prepareStatement(
                            "INSERT INTO steps (id, job_id, step_order, status) VALUES (?, ?, ?, 'pending')")) {
                for (int j = 0; j < jobs; j++) {
                    String id = jobId(j);
                    job.setString(1, id);
                    job.executeUpdate();
                    for (int k = 0; k < steps; k++) {
                        step.setString(1, id + "-" + k);
                        step.setString(2, id);
                        step.setInt(3, k);
                        step.executeUpdate();
                    }
                }
            }
            s.execute("COMMIT");
        }
    }

    /** Runs every step of every job, one transaction per step (timed by the caller); {@code clock} stamps the rows. */
    static void run(Connection c, int jobs, int steps, Clock clock) throws SQLException {
        try (Statement tx = c.createStatement();
                PreparedStatement step = c.prepareStatement(
                        "UPDATE steps SET status = 'success', output = ?, duration_ms = ?, completed_at = ? WHERE id = ?");
                PreparedStatement job = c.prepareStatement(
                        "UPDATE jobs SET status = ?, current_step = ?, progress = ?, updated_at = ? WHERE id = ?")) {
            for (int j = 0; j < jobs; j++) {
                String id = jobId(j);
                for (int k = 0; k < steps; k++) {
                    long now = clock.millis();
                    tx.execute("BEGIN IMMEDIATE");
                    step.setString(1, "{}");
                    step.setLong(2, 0);
                    step.setLong(3, now);
                    step.setString(4, id + "-" + k);
                    step.executeUpdate();
                    job.setString(1, k == steps - 1 ? "completed" : "running");
                    job.setString(2, "s" + k);
                    job.setInt(3, (k + 1) * 100 / steps);
                    job.setLong(4, now);
                    job.setString(5, id);
                    job.executeUpdate();
                    tx.execute("COMMIT");
                }
            }
        }
    }

    private static String jobId(int j) {
        return String.format("job-%08d", j);
    }
}
