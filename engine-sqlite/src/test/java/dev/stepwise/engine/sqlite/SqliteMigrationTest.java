package dev.stepwise.engine.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.sqlite.internal.Jdbc;
import dev.stepwise.engine.sqlite.internal.Migrator;
import dev.stepwise.engine.sqlite.internal.NamedSql;
import dev.stepwise.engine.sqlite.internal.Params;
import dev.stepwise.engine.sqlite.internal.Rows;
import dev.stepwise.engine.sqlite.internal.SqlFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SqliteMigrationTest {
    private static final String QUERIES = "/dev/stepwise/engine/sqlite/queries.sql";
    private static final String MIGRATIONS = "/dev/stepwise/engine/sqlite/migrations/";

    /** The job insert of schema versions 3 to 8 (before the log cursor column). */
    private static final NamedSql V3_INSERT_JOB = NamedSql.parse("v3_insert_job", """
            INSERT INTO jobs (id, recipe_id, recipe_slug, recipe_version, input, manifest, status, current_step, progress,
                              last_error, duration_ms, created_at, updated_at, started_at, finished_at, lease_owner,
                              lease_expires_at, epoch, cancel_requested, run_at, priority, idempotency_key)
            VALUES (:id, :recipeId, :recipeSlug, :recipeVersion, :input, :manifest, :status, :currentStep, :progress,
                    :lastError, :durationMs, :createdAt, :updatedAt, :startedAt, :finishedAt, :leaseOwner,
                    :leaseExpiresAt, :epoch, :cancelRequested, :runAt, :priority, :idempotencyKey)
            """);

    /** The job insert of schema versions 1 and 2 (before the queue columns). */
    private static final NamedSql V1_INSERT_JOB = NamedSql.parse("v1_insert_job", """
            INSERT INTO jobs (id, recipe_id, recipe_slug, recipe_version, input, manifest, status, current_step, progress,
                              last_error, duration_ms, created_at, updated_at, started_at, finished_at, lease_owner,
                              lease_expires_at, epoch, cancel_requested)
            VALUES (:id, :recipeId, :recipeSlug, :recipeVersion, :input, :manifest, :status, :currentStep, :progress,
                    :lastError, :durationMs, :createdAt, :updatedAt, :startedAt, :finishedAt, :leaseOwner,
                    :leaseExpiresAt, :epoch, :cancelRequested)
            """);

    @TempDir
    Path dir;

    @Test
    void freshFileGetsTheLatestVersionAndTheTables() throws SQLException {
        Path file = dir.resolve("nested/dirs/stepwise.db");
        SqliteJobStore.builder(file).build().close();

        assertTrue(Files.exists(file));
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), column(file, "SELECT version FROM schema_version ORDER BY version"));
        assertEquals(List.of("init", "documents", "queue", "log_cursor", "attempt_log", "step_cache", "voice_documents", "write_path",
                "derived_log_lines", "step_rows"),
                column(file, "SELECT description FROM schema_version ORDER BY version"));
        List<String> tables = column(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        assertTrue(tables.containsAll(List.of("documents", "job_logs", "job_steps", "jobs", "schema_version")), tables.toString());
        List<String> indexes = column(file, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        assertEquals(List.of("job_steps_cache", "jobs_by_created", "jobs_by_idempotency_key", "jobs_by_status", "jobs_claim"),
                indexes);
        assertV3Columns(file);
        assertV8LogTable(file);
        assertV10StepIndexes(file);
        List<String> triggers = column(file, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name");
        assertEquals(List.of("documents_next_version", "documents_no_delete", "documents_no_update"), triggers);
    }

    /**
     * Schema version 10: step rows have one index of their own, UNIQUE (job_id, step_order)
     * (plus the step cache's partial index): no index on id nor on (job_id, step_key).
     */
    private static void assertV10StepIndexes(Path file) throws SQLException {
        assertEquals(List.of("job_id,step_order 1 0", "step_type,input_hash,completed_at 0 1"), column(file,
                "SELECT (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno))"
                        + " || ' ' || l.\"unique\" || ' ' || l.partial FROM pragma_index_list('job_steps') l ORDER BY 1"));
    }

    /** The queue columns and indexes of schema version 3. */
    private static void assertV3Columns(Path file) throws SQLException {
        // name, type, notnull, default
        assertEquals(List.of("run_at INTEGER 1 0", "priority INTEGER 1 0", "idempotency_key TEXT 0 null"),
                column(file, "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || COALESCE(dflt_value, 'null') "
                        + "FROM pragma_table_info('jobs') WHERE name IN ('run_at', 'priority', 'idempotency_key') ORDER BY cid"));
        assertEquals(List.of("1 1"), column(file,
                "SELECT \"unique\" || ' ' || partial FROM pragma_index_list('jobs') WHERE name = 'jobs_by_idempotency_key'"));
        assertEquals(List.of("idempotency_key"), column(file, "SELECT name FROM pragma_index_info('jobs_by_idempotency_key')"));
        assertEquals(List.of("status 0", "priority 1", "run_at 0", "id 0"), column(file,
                "SELECT name || ' ' || \"desc\" FROM pragma_index_xinfo('jobs_claim') WHERE key = 1 ORDER BY seqno"));
    }

    /**
     * Schema version 8: job_logs is clustered by (job_id, cursor) without a rowid and has no other
     * index; jobs has no index that no query needs (issue 15).
     */
    private static void assertV8LogTable(Path file) throws SQLException {
        String ddl = column(file, "SELECT sql FROM sqlite_master WHERE name = 'job_logs'").get(0);
        assertTrue(ddl.contains("PRIMARY KEY (job_id, cursor)") && ddl.contains("WITHOUT ROWID"), ddl);
        // The primary key is the table's only index.
        assertEquals(List.of("pk"), column(file, "SELECT origin FROM pragma_index_list('job_logs')"));
        assertEquals(List.of(), column(file, "SELECT name FROM sqlite_master WHERE name IN ('jobs_by_lease',"
                + " 'jobs_by_recipe_status', 'job_logs_by_job')"));
    }

    /** Every schema version this library ships except the latest: each must upgrade. */
    static IntStream earlierVersions() {
        return IntStream.range(1, Migrator.load(SqlFile.load(QUERIES), java.time.Clock.systemUTC()).latestVersion());
    }

    @ParameterizedTest(name = "from schema version {0}")
    @MethodSource("earlierVersions")
    void anOlderDatabaseIsUpgradedAndKeepsItsJobs(int from) throws SQLException {
        Path file = dir.resolve("v" + from + ".db");
        // As an older Stepwise wrote it: no run-at (it becomes createdAt), priority or key.
        Job job = Fixtures.fullJob("J-old").toBuilder().runAt(null).priority(0).idempotencyKey(null).build();
        Job pending = Fixtures.job("J-pending", 7);
        createAtVersion(file, from, job, pending);
        assertEquals(List.of(Integer.toString(from)), column(file, "SELECT MAX(version) FROM schema_version"));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("INSERT INTO job_logs (cursor, job_id, step_key, attempt, at, level, message)"
                    + " VALUES (41, 'J-old', NULL, 0, 0, 'info', 'before the upgrade')");
            s.execute("INSERT INTO job_steps (id, job_id, step_key, step_order, step_type, status, attempts, duration_ms,"
                    + " interruptions) VALUES ('J-pending-0', 'J-pending', 'a', 0, 'echo', 'pending', 0, 0, 0)");
            if (from >= 9) {
                s.execute("UPDATE jobs SET log_cursor = 41 WHERE id = 'J-old'"); // a V9 writer numbered that line
            }
            if (from >= 2) {
                s.execute("INSERT INTO documents (kind, key, version, content_hash, content, created_at) VALUES"
                        + " ('prompt', 'writer', 1, '" + "a".repeat(64) + "', '{\"text\":\"old\"}', 5)");
            }
        }

        try (SqliteJobStore store = SqliteJobStore.builder(file).build()) {
            // V9: the job's log cursor starts at its greatest stored cursor (0 without lines).
            assertEquals(Optional.of(job.toBuilder().logCursor(41).build()), store.findJob("J-old"));
            assertEquals(Optional.of(pending), store.findJob("J-pending"));
            assertEquals(Fixtures.T0.plusMillis(7), store.findJob("J-pending").orElseThrow().runAt());
            // The new schema works on the upgraded file.
            assertEquals(1, store.publish(DocumentKind.RECIPE, "video", Fixtures.json("{\"steps\":[]}"), "0".repeat(64),
                    Fixtures.T0).version());
            Job keyed = Fixtures.job("J-new", 9).toBuilder().idempotencyKey("k").priority(2).build();
            assertEquals(keyed, store.insertJob(keyed, List.of(), List.of()));
            assertEquals(keyed, store.insertJob(Fixtures.job("J-dup", 9).toBuilder().idempotencyKey("k").build(),
                    List.of(), List.of()));
            assertEquals("J-new", store.claimNext("w", Fixtures.T0.plusSeconds(1), Fixtures.T0.plusSeconds(31), java.util.Map.of())
                    .orElseThrow().id());
            assertEquals("J-pending", store.claimNext("w", Fixtures.T0.plusSeconds(1), Fixtures.T0.plusSeconds(31),
                    java.util.Map.of()).orElseThrow().id());
            // V10 rebuilt job_steps: a step row of the older version reads back and is updated by (job, order, id).
            Job claimed = store.findJob("J-pending").orElseThrow();
            dev.stepwise.engine.api.JobStep oldStep = store.findSteps("J-pending").get(0);
            assertEquals(List.of("J-pending-0", "J-pending", "a", "0", "echo"), List.of(oldStep.id(), oldStep.jobId(),
                    oldStep.stepKey(), Integer.toString(oldStep.stepOrder()), oldStep.stepType()));
            store.write(new dev.stepwise.engine.api.JobWrite(claimed, new dev.stepwise.engine.api.WriteGuard.Owner(claimed.epoch(),
                    "w"), List.of(oldStep.toBuilder().status(dev.stepwise.engine.api.StepStatus.RUNNING).attempts(1).build()),
                    List.of(), false, false));
            assertEquals(dev.stepwise.engine.api.StepStatus.RUNNING, store.findSteps("J-pending").get(0).status());
            // Documents keep their versions (V7 rebuilt the table), stay immutable, and voices are a kind.
            if (from >= 2) {
                dev.stepwise.engine.api.VersionedDocument writer = store.findDocument(DocumentKind.PROMPT, "writer", 1).orElseThrow();
                assertEquals("old", writer.content().get("text").asString());
                assertEquals(5L, writer.createdAt().toEpochMilli());
                assertEquals(2, store.publish(DocumentKind.PROMPT, "writer", Fixtures.json("{\"text\":\"new\"}"), "b".repeat(64),
                        Fixtures.T0).version());
            }
            assertEquals(1, store.publish(DocumentKind.VOICE, "narrator", Fixtures.json("{\"provider\":\"tone\",\"name\":\"a\"}"),
                    "c".repeat(64), Fixtures.T0).version());
            assertEquals(List.of(1), store.findVersions(DocumentKind.VOICE, "narrator").stream().map(d -> d.version()).toList());
            // The log keeps its cursors, and new lines come after them.
            assertEquals(List.of(41L), store.findLogs("J-old", 0, 10).stream().map(l -> l.cursor()).toList());
            store.renewLease("J-old", 7, "worker-1", Fixtures.T0.plusSeconds(60), List.of(new dev.stepwise.engine.api.LogEntry(
                    0, "J-old", null, 0, Fixtures.T0, dev.stepwise.engine.api.LogLevel.INFO, "after the upgrade")));
            assertEquals(List.of(41L, 42L), store.findLogs("J-old", 0, 10).stream().map(l -> l.cursor()).toList());
            assertEquals(List.of("before the upgrade", "after the upgrade"),
                    store.findLogs("J-old", 0, 10).stream().map(l -> l.message()).toList());
            assertEquals(42, store.findJob("J-old").orElseThrow().logCursor());
            // A writer that numbers goes on after it; one that numbered from the old cursor conflicts.
            Job old = store.findJob("J-old").orElseThrow();
            store.write(new dev.stepwise.engine.api.JobWrite(old, new dev.stepwise.engine.api.WriteGuard.Owner(7, "worker-1"),
                    List.of(), List.of(new dev.stepwise.engine.api.LogEntry(0, "J-old", null, 0, Fixtures.T0,
                            dev.stepwise.engine.api.LogLevel.INFO, "numbered")), false, false).numberedAfter(42));
            assertThrows(dev.stepwise.engine.api.WriteConflictException.class, () -> store.write(
                    new dev.stepwise.engine.api.JobWrite(old, new dev.stepwise.engine.api.WriteGuard.Owner(7, "worker-1"),
                            List.of(), List.of(), false, false).numberedAfter(42)));
            assertEquals(List.of(41L, 42L, 43L), store.findLogs("J-old", 0, 10).stream().map(l -> l.cursor()).toList());
        }
        assertV3Columns(file);
        assertV8LogTable(file);
        assertEquals(List.of("documents_next_version", "documents_no_delete", "documents_no_update"),
                column(file, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"));
        // Step rows of the older version read back with no attempts recorded, and take new ones.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("INSERT INTO job_steps (id, job_id, step_key, step_order, step_type, status, attempts, duration_ms,"
                    + " interruptions) VALUES ('J-old-0', 'J-old', 'a', 0, 'echo', 'success', 1, 5, 0)");
        }
        try (SqliteJobStore store = SqliteJobStore.builder(file).build()) {
            assertEquals(List.of(), store.findSteps("J-old").get(0).attemptLog());
        }
        int latest = Migrator.load(SqlFile.load(QUERIES), java.time.Clock.systemUTC()).latestVersion();
        List<String> expected = IntStream.rangeClosed(1, latest).mapToObj(Integer::toString).toList();
        assertEquals(expected, column(file, "SELECT version FROM schema_version ORDER BY version"));
    }

    /**
     * Builds a database by hand as an older Stepwise left it: the migration scripts up to
     * {@code version} run in order, {@code schema_version} rows as the migrator writes them, and
     * one job row.
     */
    private static void createAtVersion(Path file, int version, Job... jobs) throws SQLException {
        SqlFile queries = SqlFile.load(QUERIES);
        List<String> index = SqlFile.read(MIGRATIONS + "index.txt").lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Jdbc.execute(c, queries.get("create_schema_version").sql());
            for (int v = 1; v <= version; v++) {
                String name = index.get(v - 1);
                assertTrue(name.startsWith("V" + v + "__"), name);
                for (String statement : SqlFile.splitStatements(SqlFile.read(MIGRATIONS + name))) {
                    Jdbc.execute(c, statement);
                }
                Jdbc.update(c, queries.get("insert_schema_version"), Params.of()
                        .set("version", v)
                        .set("description", name.substring(name.indexOf("__") + 2, name.length() - ".sql".length()))
                        .set("appliedAt", Fixtures.T0));
            }
            for (Job job : jobs) {
                Jdbc.update(c, version >= 9 ? queries.get("insert_job") : version >= 3 ? V3_INSERT_JOB : V1_INSERT_JOB,
                        Rows.job(job));
            }
        }
    }

    @Test
    void migrationsAreStampedWithTheStoresClock() throws SQLException {
        Path file = dir.resolve("stepwise.db");
        java.time.Instant at = java.time.Instant.parse("2031-02-03T04:05:06.789Z");
        SqliteJobStore.builder(file).clock(java.time.Clock.fixed(at, java.time.ZoneOffset.UTC)).build().close();

        assertEquals(List.of(Long.toString(at.toEpochMilli())),
                column(file, "SELECT DISTINCT applied_at FROM schema_version"));
        assertThrows(NullPointerException.class, () -> SqliteJobStore.builder(file).clock(null));
    }

    @Test
    void reopeningIsANoOp() throws SQLException {
        Path file = dir.resolve("stepwise.db");
        SqliteJobStore.builder(file).build().close();
        String schemaBefore = String.join("\n", column(file, "SELECT sql FROM sqlite_master ORDER BY name"));
        SqliteJobStore.builder(file).build().close();

        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), column(file, "SELECT version FROM schema_version ORDER BY version"));
        assertEquals(schemaBefore, String.join("\n", column(file, "SELECT sql FROM sqlite_master ORDER BY name")));
    }

    @Test
    void newerSchemaIsRefusedWithAnUpgradeHint() throws SQLException {
        Path file = dir.resolve("stepwise.db");
        SqliteJobStore.builder(file).build().close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("DELETE FROM schema_version WHERE version > 1");
            s.execute("UPDATE schema_version SET version = 99");
        }

        StoreException e = assertThrows(StoreException.class, () -> SqliteJobStore.builder(file).build());
        assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
        assertTrue(e.getMessage().contains("supports up to 10"), e.getMessage());
        assertTrue(e.getMessage().contains("upgrade Stepwise"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
        // The refused open changed nothing.
        assertEquals(List.of("99"), column(file, "SELECT version FROM schema_version"));
    }

    @Test
    void badSettingsAreRejected() {
        SqliteJobStore.Builder b = SqliteJobStore.builder(dir.resolve("x.db"));
        assertThrows(IllegalArgumentException.class, () -> b.readPoolSize(0));
        assertThrows(IllegalArgumentException.class, () -> b.walCheckpointEvery(0));
        assertThrows(IllegalArgumentException.class, () -> b.busyTimeout(java.time.Duration.ofMillis(-1)));
    }

    static List<String> column(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
