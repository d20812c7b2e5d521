package dev.stepwise.engine.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ClaimCandidate;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.postgres.internal.ClockOffset;
import dev.stepwise.engine.postgres.internal.Codec;
import dev.stepwise.engine.postgres.internal.Migrator;
import dev.stepwise.engine.postgres.internal.Params;
import dev.stepwise.engine.postgres.internal.Rows;
import dev.stepwise.engine.postgres.internal.SqlFile;
import dev.stepwise.engine.postgres.internal.Transactions;
import dev.stepwise.engine.postgres.internal.WorkListener;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The {@link JobStore} on a PostgreSQL database, for many worker processes on many machines
 * sharing one queue. Passes the same contract suites as the SQLite store.
 *
 * <ul>
 *   <li><b>Claims</b>: one {@code UPDATE ... WHERE id = (SELECT ... ORDER BY priority DESC,
 *       run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *}: concurrent claimers each take a
 *       different job without waiting on each other. Per-recipe limits: the claim's transaction
 *       first takes a transaction-scoped advisory lock per limited recipe (in slug order), so
 *       claims that limit the same recipe count its running jobs one after the other, in every
 *       process.</li>
 *   <li><b>Idempotent submit</b>: a unique index on the idempotency key and
 *       {@code INSERT ... ON CONFLICT DO NOTHING}; a racing insert of the same key waits for the
 *       first to commit and then returns that job.</li>
 *   <li><b>Leases on the database's clock</b>: {@code lease_expires_at} and {@code run_at} are
 *       kept on the database's clock. The store measures the offset of the engine's
 *       {@link Builder#clock(Clock) clock} from the database's when it opens (and again every
 *       minute) and converts; a machine whose clock is minutes ahead therefore sees the other
 *       runners' leases as live, as the database does. Fencing works as on SQLite: every guarded
 *       write pins the epoch.</li>
 *   <li><b>Wake-up</b>: a submit, and a job handed back to the queue (a retry), sends
 *       {@code NOTIFY} at commit; {@link #subscribeToWork(Runnable)} listens on one dedicated
 *       connection and wakes the subscribers (the workers), falling back to their polling while
 *       that connection is down and reconnecting with backoff.</li>
 *   <li><b>Connection loss</b>: work whose connection breaks (the server terminated it,
 *       restarted, is starting up) is run again whole on a fresh connection for up to
 *       {@link Builder#reconnectPatience(Duration)}, with one warning per outage. A write whose
 *       connection broke during {@code COMMIT} first looks for its write token in the row, so it
 *       is never applied twice.</li>
 *   <li><b>Schema</b>: {@link Builder#build()} creates the {@link Builder#schema(String) schema}
 *       if missing, applies the numbered migrations this library ships (under an advisory lock,
 *       so processes opening the database at once are safe) and refuses a newer schema.</li>
 * </ul>
 *
 * <p>Thread-safe. Instants keep microseconds in the database; the engine's are milliseconds.
 */
public final class PostgresJobStore implements JobStore {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresJobStore.class);
    private static final String QUERIES = "/dev/stepwise/engine/postgres/queries.sql";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** SQLSTATE no_data_found: the write_job function raises it when a step row is missing. */
    private static final String STEP_ROW_MISSING = "P0002";

    /** Default of {@link Builder#schema(String)}: {@code public}. */
    public static final String DEFAULT_SCHEMA = "public";
    /** Default of {@link Builder#poolSize(int)}: 10 connections. */
    public static final int DEFAULT_POOL_SIZE = 10;
    /** Default of {@link Builder#reconnectPatience(Duration)}: 30 seconds. */
    public static final Duration DEFAULT_RECONNECT_PATIENCE = Duration.ofSeconds(30);
    /** Default of {@link Builder#applicationName(String)}: {@code stepwise}. */
    public static final String DEFAULT_APPLICATION_NAME = "stepwise";
    /** Name of the store's HikariCP pool (visible in its logs and metrics). */
    public static final String POOL_NAME = "stepwise-pg";

    private final String database;
    private final String schema;
    private final SqlFile queries;
    private final Transactions tx;
    private final Rows rows;
    private final ClockOffset clock;
    private final HikariDataSource ownedPool;
    private final WorkListener.Connector listenConnector;
    private final String channel;
    private final String lockPrefix;
    private final String tokenPrefix = UUID.randomUUID() + ":";
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object listenerLock = new Object();
    private WorkListener listener;

    private PostgresJobStore(String database, String schema, SqlFile queries, Transactions tx, ClockOffset clock,
            HikariDataSource ownedPool, WorkListener.Connector listenConnector) {
        this.database = database;
        this.schema = schema;
        this.queries = queries;
        this.tx = tx;
        this.clock = clock;
        this.rows = new Rows(clock);
        this.ownedPool = ownedPool;
        this.listenConnector = listenConnector;
        String name = "stepwise_work_" + schema;
        this.channel = name.length() > 63 ? name.substring(0, 63) : name;
        this.lockPrefix = "stepwise:" + schema + ":";
    }

    /**
     * A store on a database given by URL; the store owns a HikariCP pool of connections to it.
     *
     * @param url {@code jdbc:postgresql://host:port/db?...}, or {@code postgresql://[user[:password]@]host[:port]/db?...}
     *            (also {@code postgres://})
     * @return a builder; {@link Builder#build()} connects and migrates
     * @throws IllegalArgumentException if the URL is neither form
     */
    public static Builder builder(String url) {
        return new Builder(Objects.requireNonNull(url, "url"), null);
    }

    /**
     * A store on a host-supplied {@link DataSource} of PostgreSQL connections (e.g. the host's
     * pool). The store borrows a connection for each operation and holds one more for as long
     * as workers listen for notifications; {@link #close()} does not close the data source.
     *
     * @param dataSource a data source of pgjdbc connections
     * @return a builder; {@link Builder#build()} migrates
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(null, Objects.requireNonNull(dataSource, "dataSource"));
    }

    /**
     * @param url a URL as {@link #builder(String)} accepts
     * @return whether it names a PostgreSQL database
     */
    public static boolean isPostgresUrl(String url) {
        return url != null && (url.startsWith("jdbc:postgresql:") || url.startsWith("postgresql://")
                || url.startsWith("postgres://"));
    }

    private String nextToken() {
        return tokenPrefix + tokens.incrementAndGet();
    }

    // ------------------------------------------------------------------------------------ writes

    /**
     * {@inheritDoc}
     *
     * <p>One statement ({@code insert_job_all}: the job, its step rows, its log lines and the
     * notification), its own transaction. {@code INSERT ... ON CONFLICT (idempotency_key) DO
     * NOTHING}: of several processes inserting one key at once, one inserts and the others wait
     * for its commit and return its job. A pending job sends {@code NOTIFY} at commit.
     */
    @Override
    public Job insertJob(Job job, List<JobStep> steps, List<LogEntry> logs) {
        Objects.requireNonNull(job, "job");
        List<JobStep> stepRows = List.copyOf(steps);
        List<LogEntry> logLines = List.copyOf(logs);
        for (JobStep s : stepRows) {
            if (!s.jobId().equals(job.id())) {
                throw new IllegalArgumentException("step " + s.stepKey() + " belongs to job " + s.jobId() + ", not " + job.id());
            }
        }
        String what = "insert of job " + job.id();
        String token = nextToken();
        List<LogEntry> numbered = numberAfter(LogEntry.lastCursor(job.logCursor(), logLines), logLines);
        Params insert = rows.job(job.toBuilder().logCursor(LogEntry.lastCursor(job.logCursor(), numbered)).build())
                .set("writeToken", token).set("steps", Codec.steps(stepRows))
                .set("logs", Codec.logs(numbered)).set("channel", channel);
        return tx.statement(what, (c, again) -> {
            if (again) {
                Optional<Job> mine = selectOne(c, "select_job_by_write_token", Params.of().set("id", job.id())
                        .set("writeToken", token));
                if (mine.isPresent()) {
                    return mine.get();
                }
            }
            Optional<Job> inserted;
            try {
                inserted = selectOne(c, "insert_job_all", insert);
            } catch (SQLException e) {
                if (Transactions.isUniqueViolation(e)) {
                    throw new StoreException(what + " failed: a job with this id already exists in " + database, e);
                }
                throw e;
            }
            if (inserted.isPresent()) {
                return inserted.get();
            }
            return selectOne(c, "select_job_by_idempotency_key", Params.of().set("idempotencyKey", job.idempotencyKey()))
                    .orElseThrow(() -> new StoreException(what + " failed: its idempotency key conflicted, but no job has it"));
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code UPDATE ... FOR UPDATE SKIP LOCKED ... RETURNING *}, due on the database's
     * clock. With limits, the transaction first takes an advisory lock per limited recipe (in
     * slug order), so claims in any process that limit the same recipe count its running jobs
     * one after the other and never exceed the limit. A running job counts against its
     * recipe's limit until it leaves {@code running}, also when its lease has expired.
     *
     * @throws IllegalArgumentException if a limit is negative (0 means: none of that recipe runs)
     */
    @Override
    public Optional<Job> claimNext(String owner, Instant now, Instant leaseExpiresAt, Map<String, Integer> recipeLimits) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
        Map<String, Integer> limits = new LinkedHashMap<>();
        recipeLimits.forEach((slug, limit) -> {
            Objects.requireNonNull(slug, "recipe slug in recipeLimits");
            Objects.requireNonNull(limit, "limit of recipe " + slug);
            if (limit < 0) {
                throw new IllegalArgumentException("limit of recipe " + slug + " must be >= 0, was " + limit);
            }
            limits.put(slug, limit);
        });
        clock.recheckIfDue();
        String token = nextToken();
        String limitsJson = Codec.jsonObject(limits);
        Params claim = Params.of().set("owner", owner).set("now", clock.toDatabase(now)).set("engineNow", now)
                .set("leaseExpiresAt", clock.toDatabase(leaseExpiresAt)).set("limits", limitsJson).set("writeToken", token);
        Params locks = Params.of().set("lockPrefix", lockPrefix + "recipe:").set("limits", limitsJson);
        Transactions.Work<Optional<Job>> work = (c, again) -> {
            if (again) {
                Optional<Job> mine = selectOne(c, "select_claimed_by_write_token", Params.of().set("owner", owner)
                        .set("writeToken", token));
                if (mine.isPresent()) {
                    return mine;
                }
            }
            if (!limits.isEmpty()) {
                Transactions.query(c, queries.get("lock_recipe_limits"), locks, rs -> null);
            }
            return selectOne(c, "claim_next", claim);
        };
        // Without limits the claim is one statement: its own transaction, one round trip.
        return limits.isEmpty() ? tx.statement("claim by " + owner, work) : tx.write("claim by " + owner, work);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One call of the schema's {@code write_job} function (the guarded job update, the step
     * rows, the log lines and the notification; its statements are planned once per connection),
     * run as its own transaction: one round trip and one commit per step boundary. A job written {@code pending} (handed back for a retry or
     * by a graceful stop, or recovered) sends {@code NOTIFY} at commit, with how long until its
     * run-at.
     */
    @Override
    public void write(JobWrite write) {
        Objects.requireNonNull(write, "write");
        Job job = write.job();
        WriteGuard guard = write.guard();
        String token = nextToken();
        Params params = rows.jobUpdate(job)
                .set("manifest", write.writeManifest() ? job.manifest() : null)
                .set("writeManifest", write.writeManifest())
                .set("clearCancel", write.clearCancel())
                .set("writeToken", token)
                .set("guardEpoch", guard.epoch())
                .set("guardKind", null)
                .set("guardOwner", null)
                .set("guardNow", null)
                .set("guardStatus", null)
                .set("guardLogCursor", write.previousLogCursor().isPresent() ? write.previousLogCursor().getAsLong() : null)
                .set("logCursor", LogEntry.lastCursor(job.logCursor(), write.logs()))
                .set("unnumbered", unnumbered(write.logs()));
        if (guard instanceof WriteGuard.Owner o) {
            params.set("guardKind", "owner").set("guardOwner", o.owner());
        } else if (guard instanceof WriteGuard.Claimable cl) {
            params.set("guardKind", "claimable").set("guardNow", clock.toDatabase(cl.now()));
        } else if (guard instanceof WriteGuard.Status st) {
            params.set("guardKind", "status").set("guardStatus", st.status().value());
        } else {
            throw new IllegalArgumentException("unknown guard " + guard);
        }
        params.set("steps", Codec.steps(write.steps()))
                .set("stepCount", (long) write.steps().size())
                .set("logs", Codec.logs(write.logs()))
                .set("notify", job.status() == JobStatus.PENDING)
                .set("channel", channel);
        String what = "write of job " + job.id();
        tx.statement(what, (c, again) -> {
            if (again && selectOne(c, "select_job_by_write_token", Params.of().set("id", job.id()).set("writeToken", token))
                    .isPresent()) {
                return null; // committed before the connection broke
            }
            long written;
            try {
                written = Transactions.query(c, queries.get("write_job"), params, rs -> rs.getLong("jobs")).get(0);
            } catch (SQLException e) {
                if (STEP_ROW_MISSING.equals(e.getSQLState())) {
                    throw new StoreException(what + " failed: one of its step rows " + write.steps().stream()
                            .map(JobStep::id).toList() + " does not exist; step rows are created by insertJob", e);
                }
                throw e;
            }
            if (written == 0) {
                throw new WriteConflictException(job.id(), guard);
            }
            return null;
        });
    }

    /** {@inheritDoc} The new expiry is kept on the database's clock. */
    @Override
    public Optional<Job> renewLease(String jobId, long epoch, String owner, Instant expiresAt, List<LogEntry> logs) {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(expiresAt, "expiresAt");
        List<LogEntry> logLines = List.copyOf(logs);
        String token = nextToken();
        long unnumbered = unnumbered(logLines);
        Params params = Params.of().set("id", jobId).set("epoch", epoch).set("owner", owner)
                .set("expiresAt", clock.toDatabase(expiresAt)).set("writeToken", token)
                .set("logCursor", LogEntry.lastCursor(0, logLines)).set("unnumbered", unnumbered);
        return tx.write("lease renewal of job " + jobId, (c, again) -> {
            if (again) {
                Optional<Job> mine = selectOne(c, "select_job_by_write_token", Params.of().set("id", jobId).set("writeToken", token));
                if (mine.isPresent()) {
                    return mine;
                }
            }
            Optional<Job> renewed = selectOne(c, "renew_lease", params);
            if (renewed.isPresent()) {
                // Lines without a cursor take the last ones the update reserved.
                insertLogs(c, numberAfter(renewed.get().logCursor() - unnumbered, logLines));
            }
            return renewed;
        });
    }

    @Override
    public boolean requestCancel(String jobId, Instant now) {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(now, "now");
        Params params = Params.of().set("id", jobId).set("now", now);
        return tx.write("cancel request of job " + jobId,
                (c, again) -> Transactions.update(c, queries.get("request_cancel"), params) > 0);
    }

    /** @return how many lines have no cursor (handed over by an SPI caller that does not number) */
    private static long unnumbered(List<LogEntry> logs) {
        return logs.stream().filter(e -> e.cursor() == 0).count();
    }

    /** @return lines without a cursor numbered after {@code after}, in order; the others keep theirs */
    private static List<LogEntry> numberAfter(long after, List<LogEntry> logs) {
        long cursor = after;
        List<LogEntry> out = new ArrayList<>(logs.size());
        for (LogEntry e : logs) {
            out.add(e.cursor() > 0 ? e : e.withCursor(++cursor));
        }
        return out;
    }


    private void insertLogs(Connection c, List<LogEntry> logs) throws SQLException {
        Transactions.batch(c, queries.get("insert_log"), logs.stream().map(Rows::log).toList());
    }

    private Optional<Job> selectOne(Connection c, String query, Params params) throws SQLException {
        return Transactions.query(c, queries.get(query), params, rows::job).stream().findFirst();
    }

    // ------------------------------------------------------------------------------------- reads

    @Override
    public Optional<Job> findJob(String jobId) {
        Objects.requireNonNull(jobId, "jobId");
        return tx.read("read of job " + jobId, (c, again) -> selectOne(c, "select_job", Params.of().set("id", jobId)));
    }

    @Override
    public List<Job> findJobs(JobQuery query) {
        Objects.requireNonNull(query, "query");
        if (query.statuses().isEmpty()) {
            return tx.read("listing of jobs", (c, again) -> Transactions.query(c, queries.get("select_jobs"),
                    Params.of().set("limit", query.limit()), rows::job));
        }
        List<String> statuses = query.statuses().stream().map(JobStatus::value).sorted().toList();
        Params params = Params.of().set("statuses", Codec.jsonArray(statuses)).set("limit", query.limit());
        return tx.read("listing of jobs in status " + statuses,
                (c, again) -> Transactions.query(c, queries.get("select_jobs_by_status"), params, rows::job));
    }

    @Override
    public List<JobStep> findSteps(String jobId) {
        Objects.requireNonNull(jobId, "jobId");
        return tx.read("read of the steps of job " + jobId, (c, again) -> Transactions.query(c, queries.get("select_steps"),
                Params.of().set("jobId", jobId), Rows::step));
    }

    @Override
    public Optional<JobStep> findCachedStep(String stepType, String inputHash) {
        Objects.requireNonNull(stepType, "stepType");
        Objects.requireNonNull(inputHash, "inputHash");
        return tx.read("step cache lookup", (c, again) -> Transactions.query(c, queries.get("find_cached_step"),
                Params.of().set("stepType", stepType).set("inputHash", inputHash), Rows::step)).stream().findFirst();
    }

    @Override
    public Set<String> referencedArtifacts() {
        List<JsonNode> outputs = tx.read("read of the outputs that refer to artifacts", (c, again) -> Transactions.query(c,
                queries.get("select_artifact_outputs"), Params.of(), rs -> Codec.json(rs, "output_refs")));
        Set<String> out = new HashSet<>();
        outputs.forEach(o -> ArtifactRef.findIn(o).forEach(r -> out.add(r.sha256())));
        return out;
    }

    @Override
    public List<LogEntry> findLogs(String jobId, long afterCursor, int limit) {
        Objects.requireNonNull(jobId, "jobId");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        Params params = Params.of().set("jobId", jobId).set("afterCursor", afterCursor).set("limit", limit);
        return tx.read("read of the logs of job " + jobId,
                (c, again) -> Transactions.query(c, queries.get("select_logs"), params, Rows::log));
    }

    /** {@inheritDoc} {@code now} is compared on the database's clock. */
    @Override
    public List<dev.stepwise.engine.api.QueueStats> queueStats(Instant now) {
        Objects.requireNonNull(now, "now");
        clock.recheckIfDue();
        Params params = Params.of().set("now", clock.toDatabase(now));
        return tx.read("count of queued jobs per recipe",
                (c, again) -> Transactions.query(c, queries.get("select_queue_stats"), params,
                        rs -> new dev.stepwise.engine.api.QueueStats(rs.getString("recipe_slug"), rs.getLong("pending"),
                                rs.getLong("running"), rs.getLong("failed"),
                                Optional.ofNullable(clock.toEngine(Codec.instant(rs, "oldest_runnable"))))));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Due on the database's clock, as in {@link #claimNext}: {@code now} is converted by the
     * measured clock offset. A plain read (no row locks); walks the partial index
     * {@code jobs_claim} in claim order.
     */
    @Override
    public List<Job> findClaimable(Instant now, int limit) {
        Params params = dueParams(now, limit);
        return tx.read("search for claimable jobs",
                (c, again) -> Transactions.query(c, queries.get("select_claimable"), params, rows::job));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One statement reads the candidates and their step rows (a join, one row per step row),
     * in the order and with the due test of {@link #findClaimable}, leaving the skipped jobs out.
     */
    @Override
    public List<ClaimCandidate> findCandidates(Instant now, int limit, Set<String> skip) {
        Objects.requireNonNull(skip, "skip");
        Params params = dueParams(now, limit).set("skip", Codec.jsonArray(skip));
        return tx.read("search for claimable jobs and their steps", (c, again) -> {
            Map<String, Job> jobs = new LinkedHashMap<>();
            Map<String, List<JobStep>> steps = new HashMap<>();
            Transactions.query(c, queries.get("select_candidates"), params, rs -> {
                String id = rs.getString("id");
                if (!jobs.containsKey(id)) {
                    jobs.put(id, rows.job(rs)); // the job's columns repeat on each of its step rows
                    steps.put(id, new ArrayList<>());
                }
                if (rs.getString("s_id") != null) {
                    steps.get(id).add(Rows.step(rs, "s_"));
                }
                return id;
            });
            return jobs.values().stream().map(j -> ClaimCandidate.withSteps(j, steps.get(j.id()))).toList();
        });
    }

    /** The parameters of a read of due rows: {@code now} on the database's clock and a limit >= 1. */
    private Params dueParams(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        clock.recheckIfDue();
        return Params.of().set("now", clock.toDatabase(now)).set("limit", limit);
    }

    @Override
    public List<Job> findExpiredLeases(Instant now, int limit) {
        Params params = dueParams(now, limit);
        return tx.read("search for expired leases",
                (c, again) -> Transactions.query(c, queries.get("select_expired_leases"), params, rows::job));
    }

    // -------------------------------------------------------------------------------- documents

    /**
     * {@inheritDoc}
     *
     * <p>One transaction takes an advisory lock of the key, reads the latest version and inserts
     * the next, so processes publishing the same content at once end with one new version.
     *
     * @throws IllegalArgumentException if {@code key} is empty or {@code contentHash} is not 64
     *                                  lowercase hex digits
     */
    @Override
    public VersionedDocument publish(DocumentKind kind, String key, JsonNode content, String contentHash, Instant now) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(now, "now");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (!SHA256_HEX.matcher(contentHash).matches()) {
            throw new IllegalArgumentException("contentHash must be a SHA-256 in 64 lowercase hex digits, was '"
                    + contentHash + "'");
        }
        JsonNode stored = Codec.json(Codec.json(content));
        Instant createdAt = Instant.ofEpochMilli(now.toEpochMilli());
        Params latestOf = Params.of().set("kind", kind.value()).set("key", key);
        Params lock = Params.of().set("lockKey", lockPrefix + "document:" + kind.value() + ":" + key);
        return tx.write("publish of " + kind + " " + key, (c, again) -> {
            Transactions.query(c, queries.get("lock_document"), lock, rs -> null);
            Optional<VersionedDocument> latest = Transactions.query(c, queries.get("select_latest_document"), latestOf,
                    Rows::document).stream().findFirst();
            if (latest.isPresent() && latest.get().contentHash().equals(contentHash)) {
                return latest.get();
            }
            int version = latest.map(d -> d.version() + 1).orElse(1);
            VersionedDocument next = new VersionedDocument(kind, key, version, contentHash, stored, createdAt);
            Transactions.update(c, queries.get("insert_document"), Rows.document(next));
            return next;
        });
    }

    @Override
    public Optional<VersionedDocument> findDocument(DocumentKind kind, String key, Integer version) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Params params = Params.of().set("kind", kind.value()).set("key", key);
        if (version == null) {
            return tx.read("read of the latest " + kind + " " + key, (c, again) -> Transactions.query(c,
                    queries.get("select_latest_document"), params, Rows::document)).stream().findFirst();
        }
        params.set("version", version);
        return tx.read("read of " + kind + " " + key + " version " + version, (c, again) -> Transactions.query(c,
                queries.get("select_document"), params, Rows::document)).stream().findFirst();
    }

    @Override
    public List<VersionedDocument> findDocuments(DocumentKind kind) {
        Objects.requireNonNull(kind, "kind");
        return tx.read("listing of " + kind.plural(), (c, again) -> Transactions.query(c,
                queries.get("select_latest_documents"), Params.of().set("kind", kind.value()), Rows::document));
    }

    @Override
    public List<VersionedDocument> findVersions(DocumentKind kind, String key) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        return tx.read("listing of the versions of " + kind + " " + key, (c, again) -> Transactions.query(c,
                queries.get("select_document_versions"), Params.of().set("kind", kind.value()).set("key", key),
                Rows::document));
    }

    // ---------------------------------------------------------------------------------- wake-up

    /**
     * {@inheritDoc}
     *
     * <p>The first subscription starts the store's {@code LISTEN} connection (one per store,
     * not from its pool): every process's submits and hand-backs on this schema then call
     * {@code onWork}, a retry when it is due. While that connection is down, nothing is called
     * (workers poll) and it reconnects with backoff.
     */
    @Override
    public WorkSubscription subscribeToWork(Runnable onWork) {
        Objects.requireNonNull(onWork, "onWork");
        WorkListener l;
        synchronized (listenerLock) {
            if (closed.get()) {
                throw new StoreException("subscribing to work failed: the store is closed");
            }
            if (listener == null) {
                listener = new WorkListener(listenConnector, channel, database);
            }
            l = listener;
        }
        l.subscribe(onWork);
        return () -> l.unsubscribe(onWork);
    }

    /** @return whether the {@code LISTEN} connection is up (false before the first subscription) */
    public boolean listening() {
        synchronized (listenerLock) {
            return listener != null && listener.listening();
        }
    }

    /** @return the schema holding this store's tables */
    public String schema() {
        return schema;
    }

    /** @return the offset of the database's clock from the engine's (database minus engine), as last measured */
    public Duration clockOffset() {
        return clock.offset();
    }

    /** Stops listening, refuses further work and closes the pool (if the store owns it). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (listenerLock) {
            if (listener != null) {
                listener.close();
            }
        }
        tx.close();
        if (ownedPool != null) {
            ownedPool.close();
        }
        LOG.info("PostgreSQL job store on {} (schema {}) closed", database, schema);
    }

    @Override
    public String toString() {
        return "PostgresJobStore[" + database + ", schema " + schema + "]";
    }

    // ---------------------------------------------------------------------------------- builder

    /**
     * Settings of a {@link PostgresJobStore}; every setter validates its value and returns this
     * builder. Not thread-safe; {@link #build()} may be called more than once.
     */
    public static final class Builder {
        private final String url;
        private final DataSource dataSource;
        private String schema;
        private int poolSize = DEFAULT_POOL_SIZE;
        private Duration reconnectPatience = DEFAULT_RECONNECT_PATIENCE;
        private String applicationName = DEFAULT_APPLICATION_NAME;
        private Clock clock = Clock.systemUTC();
        private String user;
        private String password;

        private Builder(String url, DataSource dataSource) {
            this.url = url;
            this.dataSource = dataSource;
            if (url != null && !isPostgresUrl(url)) {
                throw new IllegalArgumentException("not a PostgreSQL URL: '" + url
                        + "'; use jdbc:postgresql://host:port/db or postgresql://user@host:port/db");
            }
        }

        /**
         * The schema holding the store's tables, created if missing, so that several
         * applications (or test classes) can share one database. Default: the URL's
         * {@code currentSchema} parameter if it names one schema, else {@link #DEFAULT_SCHEMA}.
         *
         * @param name 1-63 characters of a-z, 0-9 and '_', not starting with a digit
         * @return this
         * @throws IllegalArgumentException if the name is not of that form
         */
        public Builder schema(String name) {
            this.schema = SqlFile.validSchema(name);
            return this;
        }

        /**
         * Maximum connections of the store's pool (not used with a host {@link DataSource}).
         * Default {@link #DEFAULT_POOL_SIZE}; give at least workers + 2 (the heartbeat and reads).
         *
         * @param size at least 1
         * @return this
         */
        public Builder poolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("poolSize must be >= 1, was " + size);
            }
            this.poolSize = size;
            return this;
        }

        /**
         * How long work whose connection broke is retried on fresh connections before it fails
         * with a {@link StoreException}. Default {@link #DEFAULT_RECONNECT_PATIENCE} (30 s).
         *
         * @param patience 0 or more
         * @return this
         */
        public Builder reconnectPatience(Duration patience) {
            Objects.requireNonNull(patience, "patience");
            if (patience.isNegative()) {
                throw new IllegalArgumentException("reconnectPatience must be >= 0, was " + patience);
            }
            this.reconnectPatience = patience;
            return this;
        }

        /**
         * The {@code application_name} of the store's own connections (its pool, and its
         * {@code LISTEN} connection with the suffix {@code -listen}), as {@code pg_stat_activity}
         * shows them. Default {@link #DEFAULT_APPLICATION_NAME}. Not used with a host data source.
         *
         * @param name a name
         * @return this
         */
        public Builder applicationName(String name) {
            this.applicationName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * The engine's clock (give the one given to {@code JobEngineBuilder#clock}), whose
         * offset from the database's clock the store measures. Default the system clock (UTC).
         *
         * @param engineClock the clock
         * @return this
         */
        public Builder clock(Clock engineClock) {
            this.clock = Objects.requireNonNull(engineClock, "engineClock");
            return this;
        }

        /**
         * @param name the database user (else the URL's, or the driver's default)
         * @return this
         */
        public Builder user(String name) {
            this.user = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param secret the database password (else the URL's, if any)
         * @return this
         */
        public Builder password(String secret) {
            this.password = Objects.requireNonNull(secret, "secret");
            return this;
        }

        /**
         * Connects, creates the schema if missing and applies pending migrations.
         *
         * @return the open store
         * @throws StoreException if the database cannot be reached or migrated, or its schema is
         *                        newer than this library
         */
        public PostgresJobStore build() {
            String schema = this.schema != null ? this.schema : schemaOfUrl();
            SqlFile queries = SqlFile.load(QUERIES, schema);
            Migrator migrator = Migrator.load(queries, schema);
            HikariDataSource pool = null;
            try {
                String database;
                DataSource source;
                WorkListener.Connector connector;
                if (url != null) {
                    ConnectionUrl parsed = ConnectionUrl.parse(url, user, password);
                    database = parsed.jdbcUrl().replaceAll("password=[^&]*", "password=***");
                    pool = new HikariDataSource(poolConfig(parsed));
                    source = pool;
                    Properties listen = parsed.properties(applicationName + "-listen");
                    connector = () -> DriverManager.getConnection(parsed.jdbcUrl(), listen);
                } else {
                    database = "DataSource " + dataSource;
                    source = dataSource;
                    connector = dataSource::getConnection;
                }
                Transactions tx = new Transactions(source, reconnectPatience, database);
                int version = migrator.migrate(tx, database);
                SqlFile q = queries;
                ClockOffset offset = new ClockOffset(clock, () -> tx.read("reading the database's clock",
                        (c, again) -> Transactions.query(c, q.get("select_now"), Params.of(), rs -> Codec.instant(rs, "now"))
                                .get(0)));
                LOG.info("PostgreSQL job store open: database={}, schema={}, schemaVersion={}, poolSize={}, "
                        + "reconnectPatience={}, clockOffset={} ms", database, schema, version,
                        url != null ? Integer.toString(poolSize) : "n/a (host DataSource)", reconnectPatience,
                        offset.offset().toMillis());
                return new PostgresJobStore(database, schema, queries, tx, offset, pool, connector);
            } catch (RuntimeException e) {
                if (pool != null) {
                    pool.close();
                }
                if (e instanceof StoreException se) {
                    throw se;
                }
                throw new StoreException("opening PostgreSQL database failed: " + e.getMessage(), e);
            }
        }

        private String schemaOfUrl() {
            java.util.regex.Matcher m = url == null ? null : Pattern.compile("[?&]currentSchema=([^&]+)").matcher(url);
            return m != null && m.find() ? SqlFile.validSchema(URLDecoder.decode(m.group(1), StandardCharsets.UTF_8))
                    : DEFAULT_SCHEMA;
        }

        private HikariConfig poolConfig(ConnectionUrl parsed) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(parsed.jdbcUrl());
            config.setDataSourceProperties(parsed.properties(applicationName));
            config.setPoolName(POOL_NAME);
            config.setMaximumPoolSize(poolSize);
            config.setMinimumIdle(Math.min(2, poolSize));
            config.setAutoCommit(true);
            config.setConnectionTimeout(Math.max(250, Math.min(5_000, reconnectPatience.toMillis())));
            config.setInitializationFailTimeout(-1);
            return config;
        }
    }

    /** A URL in either form, as a JDBC URL and connection properties. */
    private record ConnectionUrl(String jdbcUrl, String user, String password) {
        static ConnectionUrl parse(String url, String user, String password) {
            if (url.startsWith("jdbc:postgresql:")) {
                return new ConnectionUrl(url, user, password);
            }
            try {
                URI uri = new URI(url);
                String u = user;
                String p = password;
                if (uri.getRawUserInfo() != null) {
                    String[] parts = uri.getRawUserInfo().split(":", 2);
                    u = u != null ? u : URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                    if (parts.length > 1 && p == null) {
                        p = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
                    }
                }
                String hostPort = uri.getHost() == null ? "" : uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
                String jdbc = "jdbc:postgresql://" + hostPort + (uri.getRawPath() == null ? "/" : uri.getRawPath())
                        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
                return new ConnectionUrl(jdbc, u, p);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a valid PostgreSQL URL: '" + url + "': " + e.getMessage(), e);
            }
        }

        Properties properties(String applicationName) {
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            p.setProperty("ApplicationName", applicationName);
            return p;
        }

        @Override
        public String toString() {
            return "ConnectionUrl[" + jdbcUrl + "]";
        }
    }
}
