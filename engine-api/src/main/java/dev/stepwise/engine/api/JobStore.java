package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The persistence SPI. The engine keeps no state of its own: every status, checkpoint, lease
 * and log line is in the store, so any process on the same store sees the same jobs.
 *
 * <p>A store must be safe for use from many threads, and every method is atomic: it commits
 * all of its changes or none. Failures are {@link StoreException}s; a guarded write whose
 * guard does not hold is a {@link WriteConflictException} and changes nothing.
 *
 * <p>Every store passes the contract suite {@code JobStoreContract} from engine-core's
 * test-jar.
 */
public interface JobStore extends AutoCloseable {

    /**
     * Inserts a new job with its step rows and first log lines, atomically; the lines keep the
     * cursors they carry (lines with cursor 0 are numbered after the job's and the given ones) and
     * the stored {@link Job#logCursor()} is the greatest. When the job has
     * an idempotency key that a stored job already has, nothing is written and that job is
     * returned (also when two processes race with the same key).
     *
     * @param job   the job (status {@code pending})
     * @param steps its step rows
     * @param logs  log lines to append
     * @return the job as stored: the new one, or the existing one with the same idempotency key
     * @throws StoreException if the job id exists or the store fails
     */
    Job insertJob(Job job, List<JobStep> steps, List<LogEntry> logs);

    /**
     * Claims the next runnable job for a worker, atomically: among {@code pending} jobs whose
     * {@code runAt} is at or before {@code now}, the highest priority, then the earliest
     * {@code runAt}, then the oldest id; skipping recipes that already have as many
     * {@code running} jobs as their limit in {@code recipeLimits}. The claimed job becomes
     * {@code running} with this owner and lease, its epoch incremented and {@code startedAt}
     * set if it was null.
     *
     * @param owner          the worker's runner id
     * @param now            the current time
     * @param leaseExpiresAt the lease's expiry
     * @param recipeLimits   per recipe slug, the most jobs that may run at once (absent: no limit)
     * @return the claimed job, or empty when none is runnable
     */
    Optional<Job> claimNext(String owner, Instant now, Instant leaseExpiresAt, java.util.Map<String, Integer> recipeLimits);

    /**
     * Reads the jobs a worker could claim now, without claiming any: {@code pending} jobs whose
     * {@code runAt} is at or before {@code now}, in the order {@link #claimNext} takes them
     * (highest priority, then earliest {@code runAt}, then oldest id). Writes nothing and takes
     * no lock that outlives the call.
     *
     * <p>For workers that claim with their first write instead of with {@code claimNext}: a
     * worker picks one of these candidates and writes it {@code running} under a
     * {@link WriteGuard.Claimable} guard at the epoch read here, so the claim and the job's first
     * checkpoint are one transaction. The candidates may be stale by the time they are written;
     * the guard tells the worker that another one took the job first. "Due" is judged as in
     * {@code claimNext} (a store that keeps run-ats on another clock converts {@code now} the same
     * way).
     *
     * @param now   the current time
     * @param limit at most this many (>= 1)
     * @return the candidates, best first
     */
    List<Job> findClaimable(Instant now, int limit);

    /**
     * What {@link #findClaimable(Instant, int)} returns, less the jobs in {@code skip}, with each
     * job's step rows where the store can read them in the same statement (a worker then needs
     * no {@link #findSteps} before its claim). A worker skips the jobs its sibling workers hold
     * and those it just lost a race for, so it reads no row it cannot use. The default reads
     * {@code limit + skip.size()} claimable jobs, drops the skipped ones and no step rows.
     *
     * @param now   the current time
     * @param limit at most this many (>= 1)
     * @param skip  ids of jobs not to return
     * @return the candidates, best first
     */
    default List<ClaimCandidate> findCandidates(Instant now, int limit, Set<String> skip) {
        Objects.requireNonNull(skip, "skip");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return findClaimable(now, limit + skip.size()).stream().filter(j -> !skip.contains(j.id())).limit(limit)
                .map(ClaimCandidate::withoutSteps).toList();
    }

    /**
     * @param jobId a job id
     * @return the job, or empty
     */
    Optional<Job> findJob(String jobId);

    /**
     * @param query which jobs
     * @return the jobs, newest first
     */
    List<Job> findJobs(JobQuery query);

    /**
     * @param jobId a job id
     * @return its step rows in step order (empty for an unknown job)
     */
    List<JobStep> findSteps(String jobId);

    /**
     * Reads the stored log lines incrementally: only those after a cursor. The routine lines of
     * step attempts are not stored rows (see {@link LogEntry}): their cursors are missing here.
     *
     * @param jobId       the job
     * @param afterCursor the last cursor already read (0 for the start)
     * @param limit       at most this many (>= 1)
     * @return the lines in cursor order
     */
    List<LogEntry> findLogs(String jobId, long afterCursor, int limit);

    /**
     * Applies a guarded write in one transaction.
     *
     * @param write the write
     * @throws WriteConflictException if the guard does not hold (nothing written)
     * @throws StoreException         if the store fails (nothing written)
     */
    void write(JobWrite write);

    /**
     * Extends a held lease and appends log lines, in one transaction. The lines keep the cursors
     * the holder numbered (lines with cursor 0 are numbered after the stored log cursor), and the
     * stored {@link Job#logCursor()} becomes the greatest if it was lower.
     *
     * @param jobId     the job
     * @param epoch     the epoch of the holder's claim
     * @param owner     the holder
     * @param expiresAt the new expiry
     * @param logs      log lines to append (only if the lease is held)
     * @return the job after renewal, or empty if the lease is no longer held by this owner at
     *         this epoch (nothing written)
     */
    Optional<Job> renewLease(String jobId, long epoch, String owner, Instant expiresAt, List<LogEntry> logs);

    /**
     * Sets the cancel flag of a {@code pending} or {@code running} job.
     *
     * @param jobId the job
     * @param now   the time of the request
     * @return true if the flag is now set; false if the job is unknown or already terminal
     */
    boolean requestCancel(String jobId, Instant now);

    /**
     * @param now   the current time
     * @param limit at most this many
     * @return {@code running} jobs whose lease expired at or before {@code now}, oldest expiry first
     */
    List<Job> findExpiredLeases(Instant now, int limit);

    /**
     * Publishes a version of a recipe or config entry, atomically: if the latest version of
     * {@code kind}/{@code key} has the same content hash, returns it and writes nothing;
     * otherwise inserts the next version (1 for a new key). Published versions never change.
     *
     * @param kind        the document's kind
     * @param key         the recipe slug or config key
     * @param content     the document
     * @param contentHash SHA-256 (hex) of its canonical JSON
     * @param now         the publication time
     * @return the stored version (new or existing)
     */
    VersionedDocument publish(DocumentKind kind, String key, JsonNode content, String contentHash, Instant now);

    /**
     * @param kind    the kind
     * @param key     the recipe slug or config key
     * @param version the version, or null for the latest
     * @return that version, or empty
     */
    Optional<VersionedDocument> findDocument(DocumentKind kind, String key, Integer version);

    /**
     * @param kind the kind
     * @return the latest version of every key of that kind, ordered by key
     */
    List<VersionedDocument> findDocuments(DocumentKind kind);

    /**
     * @param kind the kind
     * @param key  the recipe slug or config key
     * @return every version of that key, oldest first (empty if unknown)
     */
    List<VersionedDocument> findVersions(DocumentKind kind, String key);

    /**
     * The step cache's lookup: the most recently completed {@code success} step row, of any job,
     * with this step type and input hash, among the rows marked {@link JobStep#cacheable()}.
     *
     * @param stepType  the step's type name
     * @param inputHash its input hash
     * @return that row, if any
     */
    Optional<JobStep> findCachedStep(String stepType, String inputHash);

    /**
     * Garbage collection of artifacts asks which are still in use.
     *
     * @return the SHA-256 (hex) of every artifact some step row's output refers to
     *         ({@link ArtifactRef#findIn})
     */
    java.util.Set<String> referencedArtifacts();

    /**
     * Counts jobs per recipe for queue gauges: {@code pending}, {@code running} and {@code failed}
     * jobs, and the earliest run-at among the runnable {@code pending} ones (run-at at or before
     * {@code now}). Recipes with none of these jobs are absent. Read-only; observation modules call
     * it at most once per their refresh interval.
     *
     * <p>The default reads the jobs through {@link #findJobs(JobQuery)} and so counts at most
     * {@value #QUEUE_STATS_DEFAULT_SCAN} jobs per status; stores override it with one aggregate query.
     *
     * @param now the current time
     * @return one entry per recipe that has such jobs, ordered by recipe slug
     */
    default List<QueueStats> queueStats(Instant now) {
        java.util.Objects.requireNonNull(now, "now");
        List<Job> jobs = new java.util.ArrayList<>();
        for (JobStatus status : List.of(JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED)) {
            jobs.addAll(findJobs(new JobQuery(java.util.Set.of(status), QUEUE_STATS_DEFAULT_SCAN)));
        }
        return QueueStats.tally(jobs, now);
    }

    /** How many jobs per status the default {@link #queueStats(Instant)} reads at most. */
    int QUEUE_STATS_DEFAULT_SCAN = 10_000;

    /**
     * @return where a file-based artifact store belongs by default for this store (next to a
     *         database file), if it has such a place
     */
    default Optional<java.nio.file.Path> artifactRoot() {
        return Optional.empty();
    }

    /**
     * Asks to be told when work may have become runnable through another process: a job
     * submitted there, or handed back to the queue (then when its run-at is due). Workers
     * subscribe, so that an idle worker wakes at once instead of at its next poll; they keep
     * polling, so a store may merge, delay or lose such signals without losing work.
     * {@code onWork} is called from the store's own threads and must return quickly.
     *
     * <p>The default is for stores without such a signal (a store that only one process uses, or
     * whose other processes are found by polling): it calls nothing and returns a subscription
     * that does nothing.
     *
     * @param onWork what to call
     * @return the subscription; closing it stops the calls
     */
    default WorkSubscription subscribeToWork(Runnable onWork) {
        java.util.Objects.requireNonNull(onWork, "onWork");
        return () -> {
        };
    }

    /** A registration made with {@link #subscribeToWork(Runnable)}. */
    @FunctionalInterface
    interface WorkSubscription extends AutoCloseable {
        /** Stops the calls. Idempotent; does not throw. */
        @Override
        void close();
    }

    /** Releases the store's resources. Does not throw checked exceptions. */
    @Override
    void close();
}
