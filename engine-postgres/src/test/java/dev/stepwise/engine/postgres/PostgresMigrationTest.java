package dev.stepwise.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.postgres.internal.Migrator;
import dev.stepwise.engine.postgres.internal.SqlFile;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Schema migrations of the PostgreSQL store: a schema that an older Stepwise left at version 1,
 * holding a job, is brought to the latest version on open and the job still reads back and
 * runs; a schema newer than this library is refused with an error naming both versions, and
 * the refused open changes nothing.
 */
class PostgresMigrationTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresMigrationTest.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String QUERIES = "/dev/stepwise/engine/postgres/queries.sql";
    private static final String MIGRATIONS = "/dev/stepwise/engine/postgres/migrations/";
    /** The columns of version 1's tables: what an older Stepwise wrote. */
    private static final String V1_JOB_COLUMNS = "id, recipe_id, recipe_slug, recipe_version, input, manifest, status, current_step,"
            + " progress, last_error, duration_ms, created_at, updated_at, started_at, finished_at, lease_owner, lease_expires_at,"
            + " epoch, cancel_requested, run_at, priority, idempotency_key, write_token";
    private static final String V1_STEP_COLUMNS = "id, job_id, step_key, step_order, step_type, input_hash, status, output_refs,"
            + " attempts, duration_ms, started_at, completed_at, error, skip_reason, interruptions, attempt_log";
    private static final String V1_LOG_COLUMNS = "cursor, job_id, step_key, attempt, at, level, message";
    private static final String V1_DOCUMENT_COLUMNS = "kind, key, version, content_hash, content, created_at";

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    private static JobEngine engine(PostgresJobStore store) {
        return JobEngine.builder(store).recoverOnStart(false)
                .step("upper", ctx -> JSON.createObjectNode().put("text", ctx.input().path("text").asString().toUpperCase()))
                .recipe(Recipe.builder("shout").step("a", "upper").step("b", "upper").build())
                .build();
    }

    private static int latestVersion(String schema) {
        return Migrator.load(SqlFile.load(QUERIES, schema), schema).latestVersion();
    }

    @Test
    void aSchemaAtVersionOneIsMigratedAndItsJobStillRuns() throws Exception {
        // A pending job as the engine writes it, copied into a schema built by hand at version 1
        // in version 1's columns (as an older Stepwise left it).
        String v1 = SCHEMAS.newSchema();
        Job job;
        List<JobStep> steps;
        try (PostgresJobStore source = SCHEMAS.openStore(); JobEngine engine = engine(source)) {
            job = engine.createJob("shout", JSON.createObjectNode().put("text", "hello"));
            steps = source.findSteps(job.id());
            createAtVersionOne(v1);
            try (Connection c = PgSchemas.admin(); Statement s = c.createStatement()) {
                String from = "\"" + source.schema() + "\"";
                String to = "\"" + v1 + "\"";
                s.execute("INSERT INTO " + to + ".documents (" + V1_DOCUMENT_COLUMNS + ") SELECT " + V1_DOCUMENT_COLUMNS
                        + " FROM " + from + ".documents ORDER BY kind, key, version");
                s.execute("INSERT INTO " + to + ".jobs (" + V1_JOB_COLUMNS + ") SELECT " + V1_JOB_COLUMNS + " FROM " + from + ".jobs");
                s.execute("INSERT INTO " + to + ".job_steps (" + V1_STEP_COLUMNS + ") SELECT " + V1_STEP_COLUMNS + " FROM " + from
                        + ".job_steps");
                // Version 1 numbered lines with one identity for all jobs: this job's next old line
                // has a cursor far beyond its first (a routine line, stored as a row then).
                s.execute("INSERT INTO " + to + ".job_logs (" + V1_LOG_COLUMNS + ") OVERRIDING SYSTEM VALUE SELECT "
                        + V1_LOG_COLUMNS + " FROM " + from + ".job_logs");
                s.execute("INSERT INTO " + to + ".job_logs (" + V1_LOG_COLUMNS + ") OVERRIDING SYSTEM VALUE VALUES (500, '"
                        + job.id() + "', 'a', 1, now(), 'info', 'attempt 1 started')");
            }
        }
        assertEquals(List.of("1"), column("SELECT version FROM \"" + v1 + "\".schema_version"));
        assertEquals(JobStatus.PENDING, job.status());

        try (PostgresJobStore store = PostgresJobStore.builder(PgSchemas.URL).schema(v1).build(); JobEngine engine = engine(store)) {
            List<String> expected = IntStream.rangeClosed(1, latestVersion(v1)).mapToObj(Integer::toString).toList();
            assertEquals(expected, column("SELECT version FROM \"" + v1 + "\".schema_version ORDER BY version"));
            // Version 4: the job's log cursor starts at its greatest stored cursor.
            assertEquals(job.toBuilder().logCursor(500).build(), store.findJob(job.id()).orElseThrow(),
                    "the job reads back as it was written");
            assertEquals(List.of("job created from recipe shout@1", "attempt 1 started"),
                    engine.logs(job.id(), 0, 100).stream().map(l -> l.message()).toList(), "old lines stay readable");
            assertEquals(steps, store.findSteps(job.id()), "its steps read back as they were written");

            Job done = engine.run(job.id());
            assertEquals(JobStatus.COMPLETED, done.status());
            assertEquals(List.of(StepStatus.SUCCESS, StepStatus.SUCCESS),
                    store.findSteps(job.id()).stream().map(JobStep::status).toList());
            assertEquals("HELLO", store.findSteps(job.id()).get(0).outputRefs().path("text").asString());
            // New lines (stored and derived) come after the old ones, each once, in order.
            List<dev.stepwise.engine.api.LogEntry> lines = engine.logs(job.id(), 0, 100);
            assertEquals(List.of(500L), lines.stream().filter(l -> l.cursor() > 1).limit(1).map(l -> l.cursor()).toList());
            assertEquals(lines.stream().map(l -> l.cursor()).distinct().sorted().toList(), lines.stream().map(l -> l.cursor()).toList());
            List<String> messages = lines.stream().map(l -> l.message().replaceAll("in \\d+ ms", "in X ms")).toList();
            assertEquals("job created from recipe shout@1", messages.get(0));
            assertEquals("attempt 1 started", messages.get(1));
            assertTrue(messages.get(2).startsWith("run started by runner "), messages.toString());
            assertEquals(List.of("attempt 1 started", "attempt 1 succeeded in X ms", "attempt 1 started",
                    "attempt 1 succeeded in X ms", "job completed (completed)"), messages.subList(3, messages.size()));
            assertEquals(List.of(), store.findLogs(job.id(), 0, 100).stream()
                    .filter(l -> l.cursor() > 500 && l.message().startsWith("attempt ")).toList(), "routine lines are not rows");
        }
        // Opening again applies nothing.
        try (PostgresJobStore again = PostgresJobStore.builder(PgSchemas.URL).schema(v1).build()) {
            assertEquals(latestVersion(v1), column("SELECT version FROM \"" + v1 + "\".schema_version").size());
        }
    }

    @Test
    void aSchemaNewerThanTheLibraryIsRefusedNamingBothVersions() throws Exception {
        String schema;
        try (PostgresJobStore store = SCHEMAS.openStore()) {
            schema = store.schema();
        }
        int latest = latestVersion(schema);
        int newer = latest + 7;
        try (Connection c = PgSchemas.admin();
                PreparedStatement ps = c.prepareStatement("INSERT INTO \"" + schema + "\".schema_version (version, description) VALUES (?, 'from the future')")) {
            ps.setInt(1, newer);
            ps.executeUpdate();
        }
        List<String> before = column("SELECT version || ' ' || description FROM \"" + schema + "\".schema_version ORDER BY version");

        StoreException e = assertThrows(StoreException.class, () -> PostgresJobStore.builder(PgSchemas.URL).schema(schema).build());
        assertTrue(e.getMessage().contains("has version " + newer), e.getMessage());
        assertTrue(e.getMessage().contains("supports up to " + latest), e.getMessage());
        assertTrue(e.getMessage().contains("upgrade Stepwise"), e.getMessage());
        assertTrue(e.getMessage().contains(schema), e.getMessage());
        assertEquals(before, column("SELECT version || ' ' || description FROM \"" + schema + "\".schema_version ORDER BY version"),
                "the refused open changed nothing");
        assertFalse(before.isEmpty());
    }

    @Test
    void theTablesAStepBoundaryWritesRefuseWhatTheirCheckConstraintsRefusedWithoutParsingThemPerStatement() throws Exception {
        try (PostgresJobStore store = SCHEMAS.openStore(); JobEngine engine = engine(store)) {
            Job job = engine.createJob("shout", JSON.createObjectNode().put("text", "hello"));
            String q = "\"" + store.schema() + "\"";
            String id = "'" + job.id() + "'";
            UnaryOperator<String> jobs = set -> "UPDATE " + q + ".jobs SET " + set + " WHERE id = " + id;
            UnaryOperator<String> steps = set -> "UPDATE " + q + ".job_steps SET " + set + " WHERE job_id = " + id;
            UnaryOperator<String> log = values -> "INSERT INTO " + q + ".job_logs (job_id, cursor, attempt, at, level, message)"
                    + " VALUES (" + id + ", " + values + ")";
            List<String> refused = List.of(
                    jobs.apply("status = 'done'"), jobs.apply("progress = 101"), jobs.apply("epoch = -1"),
                    jobs.apply("recipe_version = 0"), jobs.apply("duration_ms = -1"), jobs.apply("log_cursor = -1"),
                    jobs.apply("idempotency_key = ''"), jobs.apply("idempotency_key = repeat('k', 201)"),
                    steps.apply("status = 'done'"), steps.apply("attempts = -1"), steps.apply("step_order = -1"),
                    steps.apply("duration_ms = -1"), steps.apply("interruptions = -1"),
                    log.apply("9, 0, now(), 'trace', 'x'"), log.apply("9, -1, now(), 'info', 'x'"), log.apply("0, 0, now(), 'info', 'x'"));
            try (Connection c = PgSchemas.admin(); Statement s = c.createStatement()) {
                for (String sql : refused) {
                    SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
                    assertEquals("23514", e.getSQLState(), sql + ": " + e.getMessage());
                }
                // Values at the edges of each rule pass.
                s.execute(jobs.apply("progress = 100, idempotency_key = repeat('k', 200)"));
                s.execute(jobs.apply("progress = 0, idempotency_key = NULL"));
            }
            assertEquals(job, store.findJob(job.id()).orElseThrow(), "the refused writes changed nothing");
            assertEquals(2, store.findSteps(job.id()).size());
            // The rules live in domains (parsed once per session), not in the tables' CHECK
            // constraints (parsed again by every statement that writes the table).
            assertEquals(List.of(), column("SELECT conrelid::regclass || ' ' || conname FROM pg_constraint WHERE contype = 'c'"
                    + " AND conrelid IN ('" + q + ".jobs'::regclass, '" + q + ".job_steps'::regclass, '" + q + ".job_logs'::regclass)"));
        }
    }

    /** Creates the schema as version 1's migration left it: its script, and its row in schema_version. */
    private static void createAtVersionOne(String schema) throws SQLException {
        SqlFile queries = SqlFile.load(QUERIES, schema);
        String first = SqlFile.read(MIGRATIONS + "index.txt").lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst().orElseThrow();
        assertEquals("V1__init.sql", first);
        try (Connection c = PgSchemas.admin(); Statement s = c.createStatement()) {
            s.execute(queries.get("create_schema").sql());
            s.execute(queries.get("create_schema_version").sql());
            for (String statement : SqlFile.splitStatements(SqlFile.withSchema(SqlFile.read(MIGRATIONS + first), schema))) {
                s.execute(statement);
            }
            s.execute("INSERT INTO " + SqlFile.withSchema("{schema}", schema) + ".schema_version (version, description) VALUES (1, 'init')");
        }
    }

    private static List<String> column(String sql) throws SQLException {
        try (Connection c = PgSchemas.admin(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
