package dev.stepwise.engine.sqlite;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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
import dev.stepwise.engine.sqlite.internal.Codec;
import dev.stepwise.engine.sqlite.internal.Jdbc;
import dev.stepwise.engine.sqlite.internal.Migrator;
import dev.stepwise.engine.sqlite.internal.NamedSql;
import dev.stepwise.engine.sqlite.internal.Params;
import dev.stepwise.engine.sqlite.internal.Rows;
import dev.stepwise.engine.sqlite.internal.SqlFile;
import dev.stepwise.engine.sqlite.internal.Tx;
import dev.stepwise.engine.sqlite.internal.Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import tools.jackson.databind.JsonNode;

/**
 * The {@link JobStore} on one SQLite file. Several stores (in one process or several) may share
 * a file: SQLite's locks serialize their writes.
 *
 * <ul>
 *   <li>Every connection runs with {@code journal_mode=WAL}, {@code foreign_keys=ON}, the
 *       configured {@code busy_timeout} and {@code synchronous}.</li>
 *   <li>One writer connection per store, used under a lock; every write is one
 *       {@code BEGIN IMMEDIATE ... COMMIT} transaction that runs only SQL, and is run again whole
 *       (with a short growing backoff, for up to {@link Builder#busyTimeout}) when the database
 *       is busy or locked, so "database is locked" does not escape under normal contention.</li>
 *   <li>Reads use a small HikariCP pool ({@code stepwise-sqlite-read}), never the writer.</li>
 *   <li><b>Group commit</b> (default on, {@link Builder#groupCommit(boolean)}): step-boundary
 *       writes ({@link #write}) of several threads that arrive while another is committing are
 *       committed together in one transaction, each in its own savepoint: a write whose guard
 *       does not hold (or that fails otherwise) is undone alone and only its caller gets the
 *       exception; every caller returns only after the transaction holding its write
 *       committed, so a checkpoint is durable before anything depends on it. At
 *       {@code synchronous=FULL} a group shares one fsync.</li>
 *   <li>Every {@link Builder#walCheckpointEvery} commits, a passive WAL checkpoint keeps the
 *       WAL file from growing without bound.</li>
 *   <li>{@link Builder#build()} applies the schema migrations this library ships and refuses a
 *       database with a newer schema.</li>
 * </ul>
 *
 * <p>The queue: {@link #claimNext} takes the best runnable job in one {@code BEGIN IMMEDIATE}
 * transaction (through the index {@code jobs_claim}), and {@link #insertJob} looks a job's
 * idempotency key up in the same transaction as its insert (a unique index backs it), so
 * workers and submitters in several processes on one file never claim a job twice or create
 * two jobs for one key.
 *
 * <p>Versioned documents (recipes, prompts, presets, providers) are rows of one table; a
 * published version is never updated or deleted (triggers in the schema refuse it).
 *
 * <p>Instants are stored as epoch milliseconds: sub-millisecond parts are dropped (the engine
 * truncates its instants to milliseconds, so they round-trip exactly). Thread-safe.
 */
public final class SqliteJobStore implements JobStore {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteJobStore.class);
    private static final String QUERIES = "/dev/stepwise/engine/sqlite/queries.sql";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** Default of {@link Builder#busyTimeout(Duration)}: 30 seconds. */
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(30);
    /** Default of {@link Builder#synchronous(Synchronous)}: {@link Synchronous#FULL}. */
    public static final Synchronous DEFAULT_SYNCHRONOUS = Synchronous.FULL;
    /** Default of {@link Builder#readPoolSize(int)}: 4 connections. */
    public static final int DEFAULT_READ_POOL_SIZE = 4;
    /** Default of {@link Builder#walCheckpointEvery(int)}: every 1000 commits. */
    public static final int DEFAULT_WAL_CHECKPOINT_EVERY = 1000;
    /** Default of {@link Builder#groupCommit(boolean)}: on. */
    public static final boolean DEFAULT_GROUP_COMMIT = true;
    /** Name of the HikariCP pool of read connections (visible in its logs and metrics). */
    public static final String READ_POOL_NAME = "stepwise-sqlite-read";

    private final String database;
    private final Optional<Path> artifactRoot;
    private final SqlFile queries;
    private final Writer writer;
    private final DataSource readSource;
    private final HikariDataSource ownedPool;
    private final boolean pragmasOnBorrow;
    private final Duration busyTimeout;
    private final Synchronous synchronous;
    private final Consumer<JobWrite> beforeCommit;
    private final AtomicBoolean closed = new AtomicBoolean();
    private static final int LOG_ROWS_PER_INSERT = 8;
    private final NamedSql[] insertLogRows = new NamedSql[LOG_ROWS_PER_INSERT + 1];

    private SqliteJobStore(String database, SqlFile queries, Writer writer, DataSource readSource,
            HikariDataSource ownedPool, boolean pragmasOnBorrow, Duration busyTimeout, Synchronous synchronous,
            Consumer<JobWrite> beforeCommit, Optional<Path> artifactRoot) {
        this.database = database;
        this.artifactRoot = artifactRoot;
        this.queries = queries;
        this.writer = writer;
        this.readSource = readSource;
        this.ownedPool = ownedPool;
        this.pragmasOnBorrow = pragmasOnBorrow;
        this.busyTimeout = busyTimeout;
        this.synchronous = synchronous;
        this.beforeCommit = beforeCommit;
        for (int rows = 2; rows <= LOG_ROWS_PER_INSERT; rows++) {
            insertLogRows[rows] = Rows.insertLogs(queries.get("insert_log"), rows);
        }
    }

    /**
     * A store on a SQLite file, created (with its parent directories) if missing. The store owns
     * its connections: one writer and a HikariCP read pool.
     *
     * @param file the database file
     * @return a builder; {@link Builder#build()} opens and migrates the database
     */
    public static Builder builder(Path file) {
        return new Builder(Objects.requireNonNull(file, "file"), null);
    }

    /**
     * A store on a host-supplied SQLite {@link DataSource} (e.g. the host's own pool). The store
     * takes one connection from it for its writer, kept until {@link #close()}, and borrows
     * another for each read; it applies its pragmas itself ({@code journal_mode=WAL} once on the
     * writer; {@code busy_timeout}, {@code foreign_keys} and {@code synchronous} on the writer and
     * on every borrowed read connection). The data source must point at a file (not
     * {@code :memory:}) and allow at least two connections at once. {@link #close()} does not
     * close the data source; {@link Builder#readPoolSize(int)} does not apply.
     *
     * @param dataSource a data source of sqlite-jdbc connections
     * @return a builder; {@link Builder#build()} opens and migrates the database
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(null, Objects.requireNonNull(dataSource, "dataSource"));
    }

    // ------------------------------------------------------------------------------------ writes

    /**
     * {@inheritDoc}
     *
     * <p>One {@code BEGIN IMMEDIATE} transaction looks the idempotency key up and inserts only
     * if no job has it, so stores in several threads or processes racing with one key end with
     * one job (the write lock serializes them; a unique violation on the key is also answered
     * with the job that holds it). The returned job is the row as stored, read back in the same
     * transaction.
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
        Params byKey = Params.of().set("idempotencyKey", job.idempotencyKey());
        List<LogEntry> numbered = numberAfter(job.logCursor(), logLines);
        Job row = job.toBuilder().logCursor(LogEntry.lastCursor(job.logCursor(), numbered)).build();
        return writer.inTransaction(what, tx -> {
            if (job.idempotencyKey() != null) {
                Optional<Job> existing = selectOne(tx, "select_job_by_idempotency_key", byKey);
                if (existing.isPresent()) {
                    return existing.get();
                }
            }
            try {
                tx.update(queries.get("insert_job"), Rows.job(row));
            } catch (SQLException e) {
                if (!Jdbc.isUniqueViolation(e)) {
                    throw e;
                }
                // Defensive: the lookup above runs under the write lock, so this should not happen.
                if (job.idempotencyKey() != null) {
                    Optional<Job> existing = selectOne(tx, "select_job_by_idempotency_key", byKey);
                    if (existing.isPresent()) {
                        return existing.get();
                    }
                }
                throw new StoreException(what + " failed: a job with this id already exists in " + database, e);
            }
            for (JobStep s : stepRows) {
                tx.update(queries.get("insert_step"), Rows.step(s));
            }
            insertLogs(tx, numbered);
            return selectOne(tx, "select_job", Params.of().set("id", job.id())).orElseThrow();
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code BEGIN IMMEDIATE} transaction counts the running jobs of the limited recipes,
     * picks the best pending job of the others (through the index {@code jobs_claim}) and
     * claims it, so claims of several threads or processes never take the same job. A running
     * job counts against its recipe's limit until it leaves {@code running}, also when its lease
     * has expired. A pending job with a cancel request is claimed like any other (the runner
     * sees the flag).
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
        Params counts = Params.of().set("slugs", Codec.jsonArray(limits.keySet()));
        return writer.inTransaction("claim by " + owner, tx -> {
            List<String> saturated = new ArrayList<>();
            if (!limits.isEmpty()) {
                Map<String, Long> running = new LinkedHashMap<>();
                tx.query(queries.get("select_running_counts"), counts,
                        rs -> running.put(rs.getString("recipe_slug"), rs.getLong("running")));
                limits.forEach((slug, limit) -> {
                    if (running.getOrDefault(slug, 0L) >= limit) {
                        saturated.add(slug);
                    }
                });
            }
            Params candidate = Params.of().set("now", now).set("saturated", Codec.jsonArray(saturated));
            List<String> ids = tx.query(queries.get("select_claim_candidate"), candidate, rs -> rs.getString("id"));
            if (ids.isEmpty()) {
                return Optional.<Job>empty();
            }
            Params claim = Params.of().set("id", ids.get(0)).set("owner", owner).set("now", now)
                    .set("leaseExpiresAt", leaseExpiresAt);
            if (tx.update(queries.get("claim_job"), claim) == 0) {
                throw new IllegalStateException("claim of job " + ids.get(0) + " changed no row inside its transaction");
            }
            return selectOne(tx, "select_job", Params.of().set("id", ids.get(0)));
        });
    }

    private Optional<Job> selectOne(Tx tx, String query, Params params) throws SQLException {
        return tx.query(queries.get(query), params, Rows::job).stream().findFirst();
    }

    @Override
    public void write(JobWrite write) {
        Objects.requireNonNull(write, "write");
        Job job = write.job();
        WriteGuard guard = write.guard();
        Params params = Rows.jobUpdate(job, write.writeManifest())
                .set("clearCancel", write.clearCancel())
                .set("guardEpoch", guard.epoch())
                .set("guardKind", null)
                .set("guardOwner", null)
                .set("guardNow", null)
                .set("guardStatus", null)
                .set("guardLogCursor", write.previousLogCursor().isPresent() ? write.previousLogCursor().getAsLong() : null);
        boolean unnumbered = write.logs().stream().anyMatch(e -> e.cursor() == 0);
        // A step boundary of a running job by its owner: try the narrow statement first.
        boolean stillRunning = false;
        if (guard instanceof WriteGuard.Owner o) {
            params.set("guardKind", "owner").set("guardOwner", o.owner());
            stillRunning = job.status() == JobStatus.RUNNING && o.owner().equals(job.leaseOwner())
                    && job.epoch() == o.epoch();
        } else if (guard instanceof WriteGuard.Claimable cl) {
            params.set("guardKind", "claimable").set("guardNow", cl.now());
        } else if (guard instanceof WriteGuard.Status st) {
            params.set("guardKind", "status").set("guardStatus", st.status().value());
        } else {
            throw new IllegalArgumentException("unknown guard " + guard);
        }
        boolean narrow = stillRunning;
        String what = "write of job " + job.id();
        writer.inGroup(what, tx -> {
            List<LogEntry> lines = write.logs();
            if (unnumbered) {
                lines = numberAfter(Math.max(job.logCursor(), storedLogCursor(tx, job.id())), lines);
            }
            params.set("logCursor", LogEntry.lastCursor(job.logCursor(), lines));
            // Narrowest first: a boundary that keeps the lease, then one that moves it, then the whole row
            // (which also decides whether the guard holds).
            if ((!narrow || (tx.update(queries.get("update_job_running_same_lease"), params) == 0
                            && tx.update(queries.get("update_job_running"), params) == 0))
                    && tx.update(queries.get("update_job"), params) == 0) {
                throw new WriteConflictException(job.id(), guard);
            }
            for (JobStep s : write.steps()) {
                if (tx.update(queries.get("update_step"), Rows.step(s)) == 0) {
                    throw new StoreException(what + " failed: step row " + s.id() + " (" + s.stepKey()
                            + ") does not exist; step rows are created by insertJob");
                }
            }
            insertLogs(tx, lines);
            if (beforeCommit != null) {
                beforeCommit.accept(write);
            }
            return null;
        });
    }

    @Override
    public Optional<Job> renewLease(String jobId, long epoch, String owner, Instant expiresAt, List<LogEntry> logs) {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(expiresAt, "expiresAt");
        List<LogEntry> logLines = List.copyOf(logs);
        Params params = Params.of().set("id", jobId).set("epoch", epoch).set("owner", owner).set("expiresAt", expiresAt);
        boolean unnumbered = logLines.stream().anyMatch(e -> e.cursor() == 0);
        return writer.inTransaction("lease renewal of job " + jobId, tx -> {
            List<LogEntry> lines = unnumbered ? numberAfter(storedLogCursor(tx, jobId), logLines) : logLines;
            if (tx.update(queries.get("renew_lease"), params.set("logCursor", LogEntry.lastCursor(0, lines))) == 0) {
                return Optional.<Job>empty();
            }
            insertLogs(tx, lines);
            return tx.query(queries.get("select_job"), Params.of().set("id", jobId), Rows::job).stream().findFirst();
        });
    }

    @Override
    public boolean requestCancel(String jobId, Instant now) {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(now, "now");
        Params params = Params.of().set("id", jobId).set("now", now);
        return writer.inTransaction("cancel request of job " + jobId,
                tx -> tx.update(queries.get("request_cancel"), params) > 0);
    }

    /**
     * Log lines of one write, with the cursors their writer gave them, inserted by one statement
     * per {@value #LOG_ROWS_PER_INSERT} lines.
     */
    private void insertLogs(Tx tx, List<LogEntry> logs) throws SQLException {
        for (int at = 0; at < logs.size(); at += LOG_ROWS_PER_INSERT) {
            List<LogEntry> chunk = logs.subList(at, Math.min(logs.size(), at + LOG_ROWS_PER_INSERT));
            if (chunk.size() == 1) {
                tx.update(queries.get("insert_log"), Rows.log(chunk.get(0)));
            } else {
                tx.update(insertLogRows[chunk.size()], Rows.logs(chunk));
            }
        }
    }

    /** @return the job's stored log cursor (0 if there is no such job: its write then finds no row) */
    private long storedLogCursor(Tx tx, String jobId) throws SQLException {
        List<Long> found = tx.query(queries.get("select_log_cursor"), Params.of().set("jobId", jobId), rs -> rs.getLong("cursor"));
        return found.isEmpty() ? 0 : found.get(0);
    }

    /**
     * Numbers lines handed over without a cursor (callers of the SPI that do not number): after
     * {@code logCursor} and every cursor given, in order; lines with a cursor keep it.
     */
    private static List<LogEntry> numberAfter(long logCursor, List<LogEntry> logs) {
        long cursor = LogEntry.lastCursor(logCursor, logs);
        List<LogEntry> out = new ArrayList<>(logs.size());
        for (LogEntry e : logs) {
            out.add(e.cursor() > 0 ? e : e.withCursor(++cursor));
        }
        return out;
    }


    // ------------------------------------------------------------------------------------- reads

    @Override
    public Optional<Job> findJob(String jobId) {
        Objects.requireNonNull(jobId, "jobId");
        return read("read of job " + jobId,
                c -> Jdbc.query(c, queries.get("select_job"), Params.of().set("id", jobId), Rows::job)).stream().findFirst();
    }

    @Override
    public List<Job> findJobs(JobQuery query) {
        Objects.requireNonNull(query, "query");
        if (query.statuses().isEmpty()) {
            return read("listing of jobs",
                    c -> Jdbc.query(c, queries.get("select_jobs"), Params.of().set("limit", query.limit()), Rows::job));
        }
        List<String> statuses = query.statuses().stream().map(JobStatus::value).sorted().toList();
        Params params = Params.of().set("statuses", Codec.jsonArray(statuses)).set("limit", query.limit());
        return read("listing of jobs in status " + statuses,
                c -> Jdbc.query(c, queries.get("select_jobs_by_status"), params, Rows::job));
    }

    @Override
    public List<JobStep> findSteps(String jobId) {
        Objects.requireNonNull(jobId, "jobId");
        return read("read of the steps of job " + jobId,
                c -> Jdbc.query(c, queries.get("select_steps"), Params.of().set("jobId", jobId), Rows::step));
    }

    @Override
    public Optional<JobStep> findCachedStep(String stepType, String inputHash) {
        Objects.requireNonNull(stepType, "stepType");
        Objects.requireNonNull(inputHash, "inputHash");
        return read("step cache lookup", c -> Jdbc.query(c, queries.get("find_cached_step"),
                Params.of().set("stepType", stepType).set("inputHash", inputHash), Rows::step)).stream().findFirst();
    }

    @Override
    public java.util.Set<String> referencedArtifacts() {
        List<JsonNode> outputs = read("read of the outputs that refer to artifacts",
                c -> Jdbc.query(c, queries.get("select_artifact_outputs"), Params.of(), rs -> Codec.json(rs, "output_refs")));
        java.util.Set<String> out = new java.util.HashSet<>();
        outputs.forEach(o -> dev.stepwise.engine.api.ArtifactRef.findIn(o).forEach(r -> out.add(r.sha256())));
        return out;
    }

    @Override
    public Optional<Path> artifactRoot() {
        return artifactRoot;
    }

    @Override
    public List<LogEntry> findLogs(String jobId, long afterCursor, int limit) {
        Objects.requireNonNull(jobId, "jobId");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        Params params = Params.of().set("jobId", jobId).set("afterCursor", afterCursor).set("limit", limit);
        return read("read of the logs of job " + jobId, c -> Jdbc.query(c, queries.get("select_logs"), params, Rows::log));
    }

    /**
     * {@inheritDoc}
     *
     * <p>A read on the read pool (no {@code BEGIN IMMEDIATE}, so it never waits for the writer):
     * walks the index {@code jobs_claim} in claim order and stops after {@code limit} rows.
     */
    @Override
    public List<Job> findClaimable(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        Params params = Params.of().set("now", now).set("limit", limit);
        return read("search for claimable jobs", c -> Jdbc.query(c, queries.get("select_claimable"), params, Rows::job));
    }

    @Override
    public List<Job> findExpiredLeases(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        Params params = Params.of().set("now", now).set("limit", limit);
        return read("search for expired leases", c -> Jdbc.query(c, queries.get("select_expired_leases"), params, Rows::job));
    }

    @Override
    public List<dev.stepwise.engine.api.QueueStats> queueStats(Instant now) {
        Objects.requireNonNull(now, "now");
        Params params = Params.of().set("now", now);
        return read("count of queued jobs per recipe", c -> Jdbc.query(c, queries.get("select_queue_stats"), params,
                rs -> new dev.stepwise.engine.api.QueueStats(rs.getString("recipe_slug"), rs.getLong("pending"),
                        rs.getLong("running"), rs.getLong("failed"),
                        Optional.ofNullable(Codec.instant(rs, "oldest_runnable")))));
    }

    private <T> T read(String what, Jdbc.SqlWork<T> work) {
        if (closed.get()) {
            throw new StoreException(what + " failed: the store is closed");
        }
        return Jdbc.retryWhileBusy(what, busyTimeout, () -> {
            try (Connection c = readSource.getConnection()) {
                if (pragmasOnBorrow) {
                    applyConnectionPragmas(c, queries, busyTimeout, synchronous);
                }
                return work.run(c);
            }
        });
    }

    // -------------------------------------------------------------------------------- documents

    /**
     * {@inheritDoc}
     *
     * <p>One {@code BEGIN IMMEDIATE} transaction reads the latest version and inserts the next,
     * so stores in several processes publishing the same content at once end with one new
     * version. The returned document holds the content as stored (parsed back from its JSON
     * text) and {@code now} truncated to milliseconds, so it equals what the find methods return.
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
        return writer.inTransaction("publish of " + kind + " " + key, tx -> {
            Optional<VersionedDocument> latest = tx.query(queries.get("select_latest_document"), latestOf,
                    Rows::document).stream().findFirst();
            if (latest.isPresent() && latest.get().contentHash().equals(contentHash)) {
                return latest.get();
            }
            int version = latest.map(d -> d.version() + 1).orElse(1);
            VersionedDocument next = new VersionedDocument(kind, key, version, contentHash, stored, createdAt);
            tx.update(queries.get("insert_document"), Rows.document(next));
            return next;
        });
    }

    @Override
    public Optional<VersionedDocument> findDocument(DocumentKind kind, String key, Integer version) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Params params = Params.of().set("kind", kind.value()).set("key", key);
        if (version == null) {
            return read("read of the latest " + kind + " " + key,
                    c -> Jdbc.query(c, queries.get("select_latest_document"), params, Rows::document)).stream().findFirst();
        }
        params.set("version", version);
        return read("read of " + kind + " " + key + " version " + version,
                c -> Jdbc.query(c, queries.get("select_document"), params, Rows::document)).stream().findFirst();
    }

    @Override
    public List<VersionedDocument> findDocuments(DocumentKind kind) {
        Objects.requireNonNull(kind, "kind");
        return read("listing of " + kind.plural(), c -> Jdbc.query(c, queries.get("select_latest_documents"),
                Params.of().set("kind", kind.value()), Rows::document));
    }

    @Override
    public List<VersionedDocument> findVersions(DocumentKind kind, String key) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        return read("listing of the versions of " + kind + " " + key, c -> Jdbc.query(c,
                queries.get("select_document_versions"), Params.of().set("kind", kind.value()).set("key", key),
                Rows::document));
    }

    // ------------------------------------------------------------------------------ diagnostics

    /**
     * The pragmas of the writer connection, for tests and diagnostics.
     *
     * @return {@code journal_mode}, {@code busy_timeout}, {@code foreign_keys} and {@code synchronous}
     */
    Map<String, String> pragmas() {
        return writer.withConnection("pragma read of the writer", c -> readPragmas(c, queries));
    }

    /**
     * Borrows {@code count} read connections at once (so they are distinct) and reads their
     * pragmas, for tests and diagnostics.
     *
     * @param count how many connections (at most the pool size)
     * @return one map per connection, as {@link #pragmas()}
     */
    List<Map<String, String>> readPoolPragmas(int count) {
        return read("pragma read of " + count + " read connections", c0 -> {
            List<Connection> held = new ArrayList<>();
            try {
                List<Map<String, String>> out = new ArrayList<>();
                out.add(readPragmas(c0, queries));
                for (int i = 1; i < count; i++) {
                    Connection c = readSource.getConnection();
                    held.add(c);
                    if (pragmasOnBorrow) {
                        applyConnectionPragmas(c, queries, busyTimeout, synchronous);
                    }
                    out.add(readPragmas(c, queries));
                }
                return out;
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
        });
    }

    private static Map<String, String> readPragmas(Connection c, SqlFile queries) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pragma : List.of("journal_mode", "busy_timeout", "foreign_keys", "synchronous")) {
            out.put(pragma, Jdbc.scalar(c, queries.get("get_" + pragma).sql()));
        }
        return out;
    }

    private static void applyConnectionPragmas(Connection c, SqlFile queries, Duration busyTimeout, Synchronous synchronous)
            throws SQLException {
        Jdbc.execute(c, queries.get("set_busy_timeout").sql().replace("{value}", Long.toString(busyTimeout.toMillis())));
        Jdbc.execute(c, queries.get("set_foreign_keys_on").sql());
        Jdbc.execute(c, queries.get("set_synchronous").sql().replace("{value}", Integer.toString(synchronous.pragmaValue())));
    }

    /** Closes the read pool (if the store owns it) and the writer connection. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (ownedPool != null) {
            ownedPool.close();
        }
        writer.close();
        LOG.info("SQLite job store on {} closed", database);
    }

    @Override
    public String toString() {
        return "SqliteJobStore[" + database + "]";
    }

    // ---------------------------------------------------------------------------------- builder

    /**
     * Settings of a {@link SqliteJobStore}; every setter validates its value and returns this
     * builder. Not thread-safe; {@link #build()} may be called more than once.
     */
    public static final class Builder {
        private final Path file;
        private final DataSource dataSource;
        private Duration busyTimeout = DEFAULT_BUSY_TIMEOUT;
        private Synchronous synchronous = DEFAULT_SYNCHRONOUS;
        private int readPoolSize = DEFAULT_READ_POOL_SIZE;
        private int walCheckpointEvery = DEFAULT_WAL_CHECKPOINT_EVERY;
        private boolean groupCommit = DEFAULT_GROUP_COMMIT;
        private Consumer<JobWrite> beforeCommit;
        private Clock clock = Clock.systemUTC();

        private Builder(Path file, DataSource dataSource) {
            this.file = file;
            this.dataSource = dataSource;
        }

        /**
         * How long a connection waits for a lock held by another connection
         * ({@code PRAGMA busy_timeout}), and how long a write transaction that still finds the
         * database busy is retried. Default {@link #DEFAULT_BUSY_TIMEOUT} (30 s).
         *
         * @param timeout 0 ms to {@code Integer.MAX_VALUE} ms
         * @return this
         * @throws IllegalArgumentException if negative or too long
         */
        public Builder busyTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("busyTimeout must be 0 to " + Integer.MAX_VALUE + " ms, was " + timeout);
            }
            this.busyTimeout = timeout;
            return this;
        }

        /**
         * Durability of a commit on every connection. Default {@link #DEFAULT_SYNCHRONOUS}
         * ({@link Synchronous#FULL}).
         *
         * @param mode the mode
         * @return this
         */
        public Builder synchronous(Synchronous mode) {
            this.synchronous = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Maximum connections of the read pool. Default {@link #DEFAULT_READ_POOL_SIZE} (4).
         * Not used with {@link SqliteJobStore#builder(DataSource)}, whose reads borrow from the
         * host's data source.
         *
         * @param size at least 1
         * @return this
         * @throws IllegalArgumentException if less than 1
         */
        public Builder readPoolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("readPoolSize must be >= 1, was " + size);
            }
            this.readPoolSize = size;
            return this;
        }

        /**
         * Commits of this store between passive WAL checkpoints. Default
         * {@link #DEFAULT_WAL_CHECKPOINT_EVERY} (1000).
         *
         * @param commits at least 1
         * @return this
         * @throws IllegalArgumentException if less than 1
         */
        public Builder walCheckpointEvery(int commits) {
            if (commits < 1) {
                throw new IllegalArgumentException("walCheckpointEvery must be >= 1, was " + commits);
            }
            this.walCheckpointEvery = commits;
            return this;
        }

        /**
         * Group commit of step-boundary writes (issue 15). On (the default,
         * {@link #DEFAULT_GROUP_COMMIT}): boundaries of several runners (worker threads) that
         * arrive while another write commits are committed together in one transaction, each in
         * its own savepoint, so one that fails (a lost lease, a store error) fails alone; each
         * runner continues only after the transaction holding its boundary committed. Off: one
         * transaction per write, as before. A single runner commits alone either way.
         *
         * @param on whether to group
         * @return this
         */
        public Builder groupCommit(boolean on) {
            this.groupCommit = on;
            return this;
        }

        /**
         * The time source of the store's own timestamps (when a schema migration was applied;
         * every job and log time comes from the engine). Default: the system UTC clock.
         *
         * @param clock the clock
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Fault injection for crash tests only: called inside the transaction of every
         * {@link SqliteJobStore#write(JobWrite)}, after all its SQL and just before
         * {@code COMMIT} (e.g. to halt the JVM there). It may run more than once per write (a
         * busy transaction is retried whole); an exception it throws rolls the write back. Never
         * set it in production: it holds the database's write lock while it runs. Default none.
         *
         * @param hook the hook, or null for none
         * @return this
         */
        public Builder beforeCommit(Consumer<JobWrite> hook) {
            this.beforeCommit = hook;
            return this;
        }

        /**
         * Opens the database (creating the file and its parent directories if missing), applies
         * pending schema migrations and starts the read pool.
         *
         * @return the open store
         * @throws StoreException if the database cannot be opened or migrated, is not in WAL mode,
         *                        or has a schema newer than this library
         */
        public SqliteJobStore build() {
            SqlFile queries = SqlFile.load(QUERIES);
            Migrator migrator = Migrator.load(queries, clock);
            String database = file != null ? file.toAbsolutePath().toString() : "DataSource " + dataSource;
            Connection writerConnection = null;
            Writer writer = null;
            HikariDataSource pool = null;
            try {
                DataSource readSource;
                if (file != null) {
                    Path absolute = file.toAbsolutePath();
                    if (absolute.getParent() != null) {
                        Files.createDirectories(absolute.getParent());
                    }
                    SQLiteDataSource sqlite = new SQLiteDataSource(sqliteConfig());
                    sqlite.setUrl("jdbc:sqlite:" + absolute);
                    writerConnection = sqlite.getConnection();
                    readSource = sqlite;
                } else {
                    writerConnection = dataSource.getConnection();
                    writerConnection.setAutoCommit(true);
                    Connection c = writerConnection;
                    Jdbc.retryWhileBusy("opening " + database, busyTimeout, () -> {
                        Jdbc.execute(c, queries.get("set_journal_mode_wal").sql());
                        applyConnectionPragmas(c, queries, busyTimeout, synchronous);
                        return null;
                    });
                    readSource = dataSource;
                }
                String journalMode = Jdbc.scalar(writerConnection, queries.get("get_journal_mode").sql());
                if (!"wal".equalsIgnoreCase(journalMode)) {
                    throw new StoreException("database " + database + " runs in journal mode " + journalMode
                            + ", not WAL; use a file on a local file system (not :memory: or a network share)");
                }
                writer = new Writer(writerConnection, queries, busyTimeout, walCheckpointEvery, groupCommit);
                int version = migrator.migrate(writer, database);
                if (file != null) {
                    pool = new HikariDataSource(poolConfig(readSource));
                    readSource = pool;
                }
                LOG.info("SQLite job store open: database={}, schemaVersion={}, busyTimeout={}, synchronous={}, "
                        + "readPoolSize={}, walCheckpointEvery={}", database, version, busyTimeout, synchronous,
                        file != null ? Integer.toString(readPoolSize) : "n/a (host DataSource)", walCheckpointEvery);
                // artifacts live next to the database file: <name>-artifacts/
                Optional<Path> artifacts = Optional.ofNullable(file).map(Path::toAbsolutePath)
                        .map(f -> f.resolveSibling(f.getFileName() + "-artifacts"));
                return new SqliteJobStore(database, queries, writer, readSource, pool, file == null, busyTimeout, synchronous,
                        beforeCommit, artifacts);
            } catch (SQLException | IOException | RuntimeException e) {
                closeQuietly(pool, writer, writerConnection);
                if (e instanceof StoreException se) {
                    throw se;
                }
                throw new StoreException("opening SQLite database " + database + " failed: " + e.getMessage(), e);
            }
        }

        private SQLiteConfig sqliteConfig() {
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setBusyTimeout((int) busyTimeout.toMillis());
            config.enforceForeignKeys(true);
            // Nothing here reads JDBC generated keys; with them on, sqlite-jdbc compiles and runs
            // "SELECT last_insert_rowid()" after every INSERT (a job's creation ran it seven times).
            config.setGetGeneratedKeys(false);
            config.setSynchronous(synchronous == Synchronous.FULL
                    ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
            return config;
        }

        private HikariConfig poolConfig(DataSource sqlite) {
            HikariConfig config = new HikariConfig();
            config.setDataSource(sqlite);
            config.setPoolName(READ_POOL_NAME);
            config.setMaximumPoolSize(readPoolSize);
            config.setMinimumIdle(1);
            config.setAutoCommit(true);
            config.setConnectionTimeout(Math.max(250, busyTimeout.toMillis()));
            return config;
        }

        private static void closeQuietly(HikariDataSource pool, Writer writer, Connection writerConnection) {
            if (pool != null) {
                pool.close();
            }
            try {
                if (writer != null) {
                    writer.close();
                } else if (writerConnection != null) {
                    writerConnection.close();
                }
            } catch (SQLException e) {
                LOG.warn("closing the SQLite writer connection after a failed open failed: {}", e.getMessage());
            }
        }
    }
}
