package dev.stepwise.engine.core.contract;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.VersionedDocument;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;

/**
 * A {@link JobStore} decorator that makes guarded writes fail at a given rate, half of them
 * before the commit (nothing written) and half after it (written, but reported as failed).
 * Seeded, so a failing run can be replayed. At rate 0 it only counts the writes and claims that
 * reach the real store.
 */
public final class FailingJobStore implements JobStore {
    private final JobStore delegate;
    private final double rate;
    private final Random random;
    private final AtomicInteger failedBeforeCommit = new AtomicInteger();
    private final AtomicInteger failedAfterCommit = new AtomicInteger();
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicInteger claims = new AtomicInteger();

    /**
     * @param delegate the real store
     * @param rate     share of writes that fail, 0-1
     * @param seed     random seed
     */
    public FailingJobStore(JobStore delegate, double rate, long seed) {
        this.delegate = delegate;
        this.rate = rate;
        this.random = new Random(seed);
    }

    /** @return writes that failed without committing */
    public int failedBeforeCommit() {
        return failedBeforeCommit.get();
    }

    /** @return writes that committed but reported failure */
    public int failedAfterCommit() {
        return failedAfterCommit.get();
    }

    /** @return calls of {@link #write} that reached the real store (each is one transaction there) */
    public int writes() {
        return writes.get();
    }

    /** @return calls of {@link #claimNext} that claimed a job (each committed one transaction in the real store) */
    public int claims() {
        return claims.get();
    }

    private synchronized double roll() {
        return random.nextDouble();
    }

    @Override
    public void write(JobWrite write) {
        double r = roll();
        if (r < rate / 2) {
            failedBeforeCommit.incrementAndGet();
            throw new StoreException("injected fault: commit failed for job " + write.job().id());
        }
        writes.incrementAndGet();
        delegate.write(write);
        if (r < rate) {
            failedAfterCommit.incrementAndGet();
            throw new StoreException("injected fault: commit succeeded but reported failure for job " + write.job().id());
        }
    }

    @Override
    public Job insertJob(Job job, List<JobStep> steps, List<LogEntry> logs) {
        return delegate.insertJob(job, steps, logs);
    }

    @Override
    public Optional<Job> claimNext(String owner, Instant now, Instant leaseExpiresAt, java.util.Map<String, Integer> recipeLimits) {
        Optional<Job> claimed = delegate.claimNext(owner, now, leaseExpiresAt, recipeLimits);
        claimed.ifPresent(j -> claims.incrementAndGet());
        return claimed;
    }

    @Override
    public List<Job> findClaimable(Instant now, int limit) {
        return delegate.findClaimable(now, limit);
    }

    @Override
    public Optional<Job> findJob(String jobId) {
        return delegate.findJob(jobId);
    }

    @Override
    public List<Job> findJobs(JobQuery query) {
        return delegate.findJobs(query);
    }

    @Override
    public List<JobStep> findSteps(String jobId) {
        return delegate.findSteps(jobId);
    }

    @Override
    public List<LogEntry> findLogs(String jobId, long afterCursor, int limit) {
        return delegate.findLogs(jobId, afterCursor, limit);
    }

    @Override
    public Optional<Job> renewLease(String jobId, long epoch, String owner, Instant expiresAt, List<LogEntry> logs) {
        return delegate.renewLease(jobId, epoch, owner, expiresAt, logs);
    }

    @Override
    public boolean requestCancel(String jobId, Instant now) {
        return delegate.requestCancel(jobId, now);
    }

    @Override
    public List<Job> findExpiredLeases(Instant now, int limit) {
        return delegate.findExpiredLeases(now, limit);
    }

    @Override
    public VersionedDocument publish(DocumentKind kind, String key, JsonNode content, String contentHash, Instant now) {
        return delegate.publish(kind, key, content, contentHash, now);
    }

    @Override
    public Optional<VersionedDocument> findDocument(DocumentKind kind, String key, Integer version) {
        return delegate.findDocument(kind, key, version);
    }

    @Override
    public List<VersionedDocument> findDocuments(DocumentKind kind) {
        return delegate.findDocuments(kind);
    }

    @Override
    public List<VersionedDocument> findVersions(DocumentKind kind, String key) {
        return delegate.findVersions(kind, key);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public Optional<JobStep> findCachedStep(String stepType, String inputHash) {
        return delegate.findCachedStep(stepType, inputHash);
    }

    @Override
    public java.util.Set<String> referencedArtifacts() {
        return delegate.referencedArtifacts();
    }

    @Override
    public Optional<java.nio.file.Path> artifactRoot() {
        return delegate.artifactRoot();
    }
}
