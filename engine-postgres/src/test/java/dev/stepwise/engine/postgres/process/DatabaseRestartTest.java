package dev.stepwise.engine.postgres.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.postgres.PgSchemas;
import dev.stepwise.engine.postgres.PostgresJobStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database "restarts" under a worker JVM: the worker reaches PostgreSQL only through a
 * {@link TcpProxy} in this JVM (its pool and its LISTEN connection alike), and the restart is
 * the proxy closing every connection and refusing new ones for a while (the real server, which
 * other tests use at the same time, keeps running).
 *
 * <ul>
 *   <li>An outage shorter than the lease: the worker keeps its job and completes it, every step
 *       executed once, nobody else ever claimed it.</li>
 *   <li>An outage longer than the lease: a second worker, connected directly, takes the job
 *       over once the lease expired on the database's clock and completes it; the first is
 *       fenced when the database is back and writes nothing after; no committed step runs again.</li>
 * </ul>
 * Either way the worker logs one warning for the outage of its pool and one for its LISTEN
 * connection, no stack trace and no error, and once the LISTEN connection is back a job
 * submitted elsewhere wakes it (its poll interval is a minute).
 */
class DatabaseRestartTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(DatabaseRestartTest.class);
    private static final int STEPS = 20;
    /** The worker's poll interval: a wake-up sooner than half of it came through NOTIFY. */
    private static final Duration POLL = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only
    void anOutageShorterThanTheLeaseKeepsTheJobAndLosesNothing() throws Exception {
        Duration lease = Duration.ofSeconds(10);
        Path effects = dir.resolve("effects.txt");
        try (TcpProxy proxy = new TcpProxy("127.0.0.1", 5432);
                PostgresJobStore store = SCHEMAS.openStore();
                JobEngine submitter = PgChild.engine(store, null, lease).recoverOnStart(false).build()) {
            String schema = store.schema();
            Job job = submitter.submit("twenty", PgChild.JSON.createObjectNode(), SubmitOptions.defaults()).job();
            String app = "stepwise-restart-short-" + ProcessHandle.current().pid();
            ChildJvm worker = startWorker(proxy, schema, effects, app, lease);
            try {
                Await.until("the worker listens", () -> worker.printed("listening"));
                Await.until("5 steps done", () -> stepsDone(schema, job.id()) >= 5);

                proxy.down();
                Await.until("the worker noticed the outage", () -> warnings(worker, "broken (") == 1);
                Thread.sleep(1_500); // the database stays down a moment (well within the 10 s lease)
                proxy.up();

                Await.until("the job completed", () -> status(store, job.id()) == JobStatus.COMPLETED);
                Job done = store.findJob(job.id()).orElseThrow();
                assertEquals(1, done.epoch(), "nobody else ever claimed the job");
                assertEquals(0, count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE status <> 'success' OR attempts <> 1"),
                        "every step succeeded at its first attempt");
                Map<String, Integer> perStep = Effects.perStep(Effects.read(List.of(effects)));
                assertEquals(STEPS, perStep.size(), "every step executed");
                assertEquals(Set.of(1), new HashSet<>(perStep.values()), "no step executed twice: " + perStep);

                assertWakesOnNotify(worker, store, submitter, app, effects, worker.process.pid());

                assertEquals(1, warnings(worker, "broken ("), "one warning for the outage of the pool:\n" + worker.tail());
                assertEquals(1, warnings(worker, "LISTEN connection"), "one warning for the outage of LISTEN:\n" + worker.tail());
                assertEquals(0, warnings(worker, "lease lost"), worker::tail);
                assertQuiet(worker);
            } finally {
                worker.kill();
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only
    void anOutageLongerThanTheLeaseHandsTheJobOverAndFencesTheWorker() throws Exception {
        Duration lease = Duration.ofSeconds(3);
        Path effectsA = dir.resolve("effects-a.txt");
        Path effectsB = dir.resolve("effects-b.txt");
        try (TcpProxy proxy = new TcpProxy("127.0.0.1", 5432);
                PostgresJobStore store = SCHEMAS.openStore();
                JobEngine direct = PgChild.engine(store, effectsB, lease, 300).runnerId("direct").recoverOnStart(false).build()) {
            String schema = store.schema();
            Job job = direct.submit("twenty", PgChild.JSON.createObjectNode(), SubmitOptions.defaults()).job();
            String app = "stepwise-restart-long-" + ProcessHandle.current().pid();
            ChildJvm worker = startWorker(proxy, schema, effectsA, app, lease);
            try {
                Await.until("the worker listens", () -> worker.printed("listening"));
                Await.until("5 steps done", () -> stepsDone(schema, job.id()) >= 5);

                proxy.down();
                Await.until("the worker noticed the outage", () -> warnings(worker, "broken (") == 1);
                Set<String> committedByA = successfulSteps(schema, job.id()); // A can write nothing now
                assertTrue(committedByA.size() >= 5 && committedByA.size() < STEPS, committedByA.toString());

                // The database stays down for the worker (far) past its lease: the directly connected one takes over.
                Workers workersB = direct.startWorkers(WorkerOptions.defaults().withPollInterval(Duration.ofMillis(200)));
                try {
                    Await.until("the direct worker completed the job", () -> status(store, job.id()) == JobStatus.COMPLETED);
                } finally {
                    workersB.close();
                }
                Job done = store.findJob(job.id()).orElseThrow();
                assertEquals(3, done.epoch(), "claimed by the worker (1), handed back by recovery (2), claimed by the direct one (3)");
                String before = snapshot(schema, job.id());

                proxy.up();
                Await.until("the worker found itself fenced", () -> warnings(worker, "lease lost") >= 1);
                Await.until("the worker's pool is back", () -> lines(worker, "restored after") >= 1);
                assertWakesOnNotify(worker, store, direct, app, effectsA, worker.process.pid());
                assertEquals(before, snapshot(schema, job.id()), "the fenced worker wrote nothing to the job after the outage");

                List<Effects.Execution> byA = Effects.read(List.of(effectsA)).stream()
                        .filter(e -> e.jobId().equals(job.id())).toList();
                List<Effects.Execution> byB = Effects.read(List.of(effectsB));
                Set<String> stepsB = byB.stream().map(Effects.Execution::stepKey).collect(Collectors.toCollection(TreeSet::new));
                Set<String> stepsA = byA.stream().map(Effects.Execution::stepKey).collect(Collectors.toCollection(TreeSet::new));
                Set<String> both = new TreeSet<>(stepsA);
                both.retainAll(stepsB);
                Set<String> all = new TreeSet<>(committedByA);
                all.addAll(stepsB);
                assertEquals(STEPS, all.size(), "every step is either committed by the worker or run by the taker");
                assertTrue(both.stream().noneMatch(committedByA::contains),
                        "no step the worker committed ran again: " + both + " vs " + committedByA);
                assertTrue(both.size() <= 1, "only the step in flight at the outage may have run in both: " + both);
                assertEquals(byB.size(), stepsB.size(), "the taker ran each step once");
                assertEquals(committedByA, new TreeSet<>(rows(schema, "SELECT step_key FROM {schema}.job_steps WHERE job_id = '"
                        + job.id() + "' AND status = 'skipped' AND skip_reason = 'checkpoint'")),
                        "the taker resumed from the worker's checkpoints");
                assertEquals(0, count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE status NOT IN ('success', 'skipped')"));

                assertEquals(1, warnings(worker, "broken ("), "one warning for the outage of the pool:\n" + worker.tail());
                assertEquals(1, warnings(worker, "LISTEN connection"), "one warning for the outage of LISTEN:\n" + worker.tail());
                assertQuiet(worker);
                System.out.printf("database restart: the worker committed %d steps, the taker ran %d (%s in both), "
                        + "%d lease-lost warnings%n", committedByA.size(), stepsB.size(), both, warnings(worker, "lease lost"));
            } finally {
                worker.kill();
            }
        }
    }

    private ChildJvm startWorker(TcpProxy proxy, String schema, Path effects, String app, Duration lease) throws Exception {
        return ChildJvm.start(dir.resolve(app + ".log"), "schema=" + schema, "effects=" + effects, "workers=1",
                "url=jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test?user=postgres", "app=" + app,
                "lease=" + lease.toMillis(), "poll=" + POLL.toMillis(), "stepMillis=300", "until=never", "patience=300000");
    }

    /**
     * Once the worker listens again, a job submitted here wakes it long before its next poll.
     */
    private static void assertWakesOnNotify(ChildJvm worker, PostgresJobStore store, JobEngine submitter, String app,
            Path effects, long workerPid) throws Exception {
        Await.until("the worker listens again", () -> {
            try {
                return count("", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "-listen'"
                        + " AND state = 'idle' AND (query LIKE 'LISTEN%' OR query = 'SELECT 1')") == 1;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until("the worker is idle", () -> {
            try {
                return count(store.schema(), "SELECT count(*) FROM {schema}.jobs WHERE status IN ('pending', 'running')") == 0;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        Job one = submitter.submit("one", PgChild.JSON.createObjectNode(), SubmitOptions.defaults()).job();
        Await.until("the worker ran the new job", () -> status(store, one.id()) == JobStatus.COMPLETED);
        Job done = store.findJob(one.id()).orElseThrow();
        Duration pickup = Duration.between(done.createdAt(), done.startedAt());
        assertTrue(pickup.compareTo(POLL.dividedBy(2)) < 0, "woken by NOTIFY, not by its poll: " + pickup);
        assertTrue(Effects.read(List.of(effects)).stream().anyMatch(e -> e.jobId().equals(one.id()) && e.pid() == workerPid),
                "the worker behind the proxy ran it");
    }

    private static void assertQuiet(ChildJvm worker) throws Exception {
        List<String> log = worker.lines();
        assertEquals(0, log.stream().filter(l -> l.startsWith("\tat ")).count(), "no stack trace:\n" + worker.tail());
        assertEquals(0, log.stream().filter(l -> l.contains(" ERROR ")).count(), "no error:\n" + worker.tail());
    }

    private static long warnings(ChildJvm worker, String text) {
        return linesMatching(worker, l -> l.contains(" WARN ") && l.contains(text));
    }

    private static long lines(ChildJvm worker, String text) {
        return linesMatching(worker, l -> l.contains(text));
    }

    private static long linesMatching(ChildJvm worker, java.util.function.Predicate<String> p) {
        try {
            return worker.lines().stream().filter(p).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static JobStatus status(PostgresJobStore store, String jobId) {
        return store.findJob(jobId).orElseThrow().status();
    }

    private static long stepsDone(String schema, String jobId) {
        try {
            return count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE status = 'success' AND job_id = '" + jobId + "'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(String schema, String sql) throws SQLException {
        return Effects.count(schema, sql);
    }

    private static Set<String> successfulSteps(String schema, String jobId) throws SQLException {
        return new TreeSet<>(rows(schema, "SELECT step_key FROM {schema}.job_steps WHERE status = 'success' AND job_id = '"
                + jobId + "'"));
    }

    /** @return the job's row, step rows and log lines as text, to compare before and after */
    private static String snapshot(String schema, String jobId) throws SQLException {
        String where = " WHERE job_id = '" + jobId + "'";
        return String.join("\n", rows(schema, "SELECT j::text FROM {schema}.jobs j WHERE id = '" + jobId + "'"))
                + "\n" + String.join("\n", rows(schema, "SELECT s::text FROM {schema}.job_steps s" + where + " ORDER BY step_order"))
                + "\n" + String.join("\n", rows(schema, "SELECT l::text FROM {schema}.job_logs l" + where + " ORDER BY cursor"));
    }

    private static List<String> rows(String schema, String sql) throws SQLException {
        try (Connection c = PgSchemas.admin(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql.replace("{schema}", "\"" + schema + "\""))) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
