package dev.stepwise.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stepwise.engine.api.ClaimCandidate;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.postgres.internal.SqlFile;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The PostgreSQL step boundary (schema version 5, the {@code write_job} function): a claim does
 * not queue behind another transaction that holds the job row, while the lease holder's own
 * writes do wait for it; and the step cache, now a table kept by a trigger, never serves a row
 * that was reset after it succeeded; a version 4 schema's cacheable rows are served after the
 * migration.
 */
class PostgresStepBoundaryTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresStepBoundaryTest.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Hang guard for a write that must not block: ten times anything seen, and then some. */
    private static final Duration GUARD = Duration.ofSeconds(60);

    private PostgresJobStore store;
    private JobEngine engine;
    private final ExecutorService pool = Executors.newSingleThreadExecutor();

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @BeforeEach
    void open() {
        store = SCHEMAS.openStore();
        engine = JobEngine.builder(store).step("echo", ctx -> ctx.input())
                .recipe(Recipe.builder("one").step("a", "echo").build()).recoverOnStart(false).build();
    }

    @AfterEach
    void close() {
        pool.shutdownNow();
        engine.close();
        store.close();
    }

    @Test
    void aClaimOfAJobRowAnotherTransactionHoldsFailsAtOnceAndWritesNothing() throws Exception {
        Job pending = engine.submit("one", JSON.createObjectNode(), SubmitOptions.defaults()).job();
        JobWrite claim = claim(pending, "w1");
        try (Connection other = DriverManager.getConnection(PgSchemas.URL)) {
            other.setAutoCommit(false);
            lockRow(other, pending.id());
            Future<?> write = pool.submit(() -> store.write(claim));
            ExecutionException failed = null;
            try {
                write.get(GUARD.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                failed = e;
            } catch (TimeoutException e) {
                throw new AssertionError("the claim waited behind the other transaction's lock", e);
            }
            assertTrue(failed != null, "a claim of a locked row must not succeed");
            assertInstanceOf(WriteConflictException.class, failed.getCause());
            other.rollback();
        }
        Job after = store.findJob(pending.id()).orElseThrow();
        assertEquals(JobStatus.PENDING, after.status(), "nothing was written");
        assertEquals(pending.epoch(), after.epoch());

        // control: with the lock gone the same write claims the job
        store.write(claim);
        Job claimed = store.findJob(pending.id()).orElseThrow();
        assertEquals(JobStatus.RUNNING, claimed.status());
        assertEquals("w1", claimed.leaseOwner());
    }

    @Test
    void theLeaseHoldersWriteWaitsForAnotherTransactionOnTheRowInsteadOfFailing() throws Exception {
        Job pending = engine.submit("one", JSON.createObjectNode(), SubmitOptions.defaults()).job();
        store.write(claim(pending, "w1"));
        Job running = store.findJob(pending.id()).orElseThrow();
        JobWrite progress = new JobWrite(running.toBuilder().progress(50).updatedAt(Instant.now()).build(),
                new WriteGuard.Owner(running.epoch(), "w1"), List.of(), List.of(), false, false);
        Future<?> write;
        try (Connection other = DriverManager.getConnection(PgSchemas.URL)) {
            other.setAutoCommit(false);
            lockRow(other, pending.id());
            write = pool.submit(() -> store.write(progress));
            Thread.sleep(300); // if the write wrongly failed at once, it has by now
            assertFalse(write.isDone(), "the owner's write waits for the lock");
            other.rollback();
        }
        write.get(GUARD.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(50, store.findJob(pending.id()).orElseThrow().progress());
    }

    @Test
    void theCacheServesASucceededCacheableStepAndNeverOneResetSince() {
        Job pending = engine.submit("one", JSON.createObjectNode().put("x", 1), SubmitOptions.defaults()).job();
        store.write(claim(pending, "w1"));
        Job running = store.findJob(pending.id()).orElseThrow();
        JobStep row = store.findSteps(pending.id()).get(0);
        Instant t = Instant.parse("2026-12-02T09:00:00Z");
        JobStep succeeded = row.toBuilder().status(StepStatus.SUCCESS).inputHash("h1").cacheable(true)
                .outputRefs(JSON.createObjectNode().put("y", 2)).startedAt(t).completedAt(t.plusMillis(5)).attempts(1).build();

        writeStep(running, succeeded);
        assertEquals(row.id(), store.findCachedStep("echo", "h1").orElseThrow().id());
        assertTrue(store.findCachedStep("echo", "h2").isEmpty(), "another input hash");
        assertTrue(store.findCachedStep("other", "h1").isEmpty(), "another step type");

        JobStep reset = row.toBuilder().status(StepStatus.PENDING).inputHash("h1").cacheable(true).build();
        writeStep(running, reset);
        assertTrue(store.findCachedStep("echo", "h1").isEmpty(), "a row reset (retry-from) is not served");

        writeStep(running, succeeded.toBuilder().inputHash("h3").build());
        assertTrue(store.findCachedStep("echo", "h1").isEmpty(), "succeeded again with another input");
        assertEquals(row.id(), store.findCachedStep("echo", "h3").orElseThrow().id());

        writeStep(running, succeeded.toBuilder().inputHash("h4").cacheable(false).build());
        assertTrue(store.findCachedStep("echo", "h4").isEmpty(), "a step not declared cache is never served");
    }

    @Test
    void aVersion4SchemasCacheableRowsAreServedAfterTheMigration() throws Exception {
        String schema = SCHEMAS.newSchema();
        try (Connection c = DriverManager.getConnection(PgSchemas.URL); Statement s = c.createStatement()) {
            s.execute(SqlFile.withSchema("CREATE SCHEMA {schema}", schema));
            s.execute(SqlFile.withSchema("CREATE TABLE {schema}.schema_version (version integer NOT NULL PRIMARY KEY, "
                    + "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", schema));
            String[] names = {"V1__init.sql", "V2__step_cache.sql", "V3__voice_documents.sql", "V4__derived_log_lines.sql"};
            for (int v = 1; v <= names.length; v++) {
                String script = SqlFile.read("/dev/stepwise/engine/postgres/migrations/" + names[v - 1]);
                for (String statement : SqlFile.splitStatements(SqlFile.withSchema(script, schema))) {
                    s.execute(statement);
                }
                s.execute(SqlFile.withSchema("INSERT INTO {schema}.schema_version (version, description) VALUES (" + v + ", 'v"
                        + v + "')", schema));
            }
            s.execute(SqlFile.withSchema("INSERT INTO {schema}.jobs (id, recipe_id, recipe_slug, recipe_version, input, status, "
                    + "created_at, updated_at, run_at) VALUES ('j1', 'r', 'one', 1, '{}', 'completed', now(), now(), now())", schema));
            s.execute(SqlFile.withSchema("INSERT INTO {schema}.job_steps (id, job_id, step_key, step_order, step_type, input_hash, "
                    + "status, output_refs, completed_at, cacheable) VALUES "
                    + "('j1-a', 'j1', 'a', 0, 'echo', 'h1', 'success', '{\"y\":1}', now(), true), "
                    + "('j1-b', 'j1', 'b', 1, 'echo', 'h2', 'success', '{\"y\":2}', now(), false), "
                    + "('j1-c', 'j1', 'c', 2, 'echo', 'h3', 'failed', NULL, now(), true)", schema));
        }
        try (PostgresJobStore migrated = SCHEMAS.builder().schema(schema).build()) {
            assertEquals("j1-a", migrated.findCachedStep("echo", "h1").orElseThrow().id(), "a cacheable success is served");
            assertTrue(migrated.findCachedStep("echo", "h2").isEmpty(), "a step not declared cache is not");
            assertTrue(migrated.findCachedStep("echo", "h3").isEmpty(), "a failed step is not");
        }
    }

    @Test
    void aJobsBoundariesReuseTheirPreparedStatementsInsteadOfParsingAgain() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(PgSchemas.URL);
        config.setMaximumPoolSize(1); // one connection: the one whose prepared statements we read
        Recipe.Builder five = Recipe.builder("five");
        for (int i = 0; i < 5; i++) {
            five.step("s" + i, "echo");
        }
        int jobs = 4;
        try (HikariDataSource ds = new HikariDataSource(config);
                PostgresJobStore one = PostgresJobStore.builder(ds).schema(SCHEMAS.newSchema()).build();
                JobEngine e = JobEngine.builder(one).step("echo", ctx -> ctx.input()).recipe(five.build())
                        .recoverOnStart(false).build()) {
            for (int i = 0; i < jobs; i++) {
                Job done = e.run(e.submit("five", JSON.createObjectNode().put("i", i), SubmitOptions.defaults()).job().id());
                assertEquals(JobStatus.COMPLETED, done.status());
            }
            // Each job writes a claim, four middle boundaries and a completion: three patterns
            // of null parameters. pgjdbc prepares a statement on the server at its fifth use and
            // re-prepares it when the types bound change; before each pattern had its own text,
            // the middle boundaries' statement was replaced at every claim and completion and
            // never ran more than four times.
            long middle = jobs * 4L;
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT max(generic_plans + custom_plans), count(*) FROM pg_prepared_statements"
                            + " WHERE statement LIKE '%.write_job(%'")) {
                assertTrue(rs.next());
                assertEquals(middle - 4, rs.getLong(1), "runs of the middle boundaries' prepared statement");
                assertTrue(rs.getLong(2) <= 3, "one prepared write_job per pattern, found " + rs.getLong(2));
            }
        }
    }

    @Test
    void aPickReadsEachCandidatesStepRowsInTheSameStatement() {
        Job first = engine.submit("one", JSON.createObjectNode().put("n", 1), SubmitOptions.defaults()).job();
        Job second = engine.submit("one", JSON.createObjectNode().put("n", 2), SubmitOptions.defaults()).job();
        List<ClaimCandidate> candidates = store.findCandidates(Instant.now().plusSeconds(1), 5, Set.of());
        assertEquals(List.of(first.id(), second.id()), candidates.stream().map(c -> c.job().id()).toList());
        for (ClaimCandidate c : candidates) {
            // present: the worker claims with its first write and reads no step rows of its own
            assertEquals(Optional.of(store.findSteps(c.job().id())), c.steps());
        }
    }

    private void writeStep(Job running, JobStep step) {
        store.write(new JobWrite(running, new WriteGuard.Owner(running.epoch(), "w1"), List.of(step), List.of(), false, false));
    }

    private static JobWrite claim(Job pending, String owner) {
        Instant now = Instant.now();
        Job claimed = pending.toBuilder().status(JobStatus.RUNNING).leaseOwner(owner).leaseExpiresAt(now.plusSeconds(60))
                .epoch(pending.epoch() + 1).startedAt(now).updatedAt(now).build();
        return new JobWrite(claimed, new WriteGuard.Claimable(pending.epoch(), now), List.of(), List.of(), false, false);
    }

    private void lockRow(Connection c, String jobId) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM \"" + store.schema() + "\".jobs WHERE id = ? FOR UPDATE")) {
            ps.setString(1, jobId);
            assertTrue(ps.executeQuery().next(), "the row exists and is now locked");
        }
    }
}
