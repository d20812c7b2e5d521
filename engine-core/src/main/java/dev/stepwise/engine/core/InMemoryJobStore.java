package dev.stepwise.engine.core;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * A {@link JobStore} in memory, for host tests and demos: the same semantics as the durable
 * stores (it passes the same contract suite), nothing survives the process. JSON values are
 * copied on the way in and out, so callers cannot change stored state by mutating them.
 */
public final class InMemoryJobStore implements JobStore {
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final Map<String, List<JobStep>> steps = new HashMap<>();
    private final Map<String, TreeMap<Long, LogEntry>> logs = new HashMap<>();
    private final Map<String, List<VersionedDocument>> documents = new HashMap<>();

    /** Creates an empty store. */
    public InMemoryJobStore() {
    }

    @Override
    public synchronized Job insertJob(Job job, List<JobStep> jobSteps, List<LogEntry> entries) {
        if (job.idempotencyKey() != null) {
            for (Job existing : jobs.values()) {
                if (job.idempotencyKey().equals(existing.idempotencyKey())) {
                    return copy(existing);
                }
            }
        }
        if (jobs.containsKey(job.id())) {
            throw new StoreException("job " + job.id() + " already exists");
        }
        checkCursors(job.id(), entries);
        long logCursor = append(job.id(), job.logCursor(), entries);
        Job stored = job.toBuilder().logCursor(logCursor).build();
        jobs.put(job.id(), copy(stored));
        List<JobStep> rows = new ArrayList<>();
        for (JobStep s : jobSteps) {
            rows.add(copy(s));
        }
        rows.sort(Comparator.comparingInt(JobStep::stepOrder));
        steps.put(job.id(), rows);
        return copy(stored);
    }

    @Override
    public synchronized Optional<Job> claimNext(String owner, Instant now, Instant leaseExpiresAt,
            Map<String, Integer> recipeLimits) {
        Map<String, Integer> runningBySlug = new HashMap<>();
        for (Job j : jobs.values()) {
            if (j.status() == JobStatus.RUNNING) {
                runningBySlug.merge(j.recipeSlug(), 1, Integer::sum);
            }
        }
        Optional<Job> next = jobs.values().stream()
                .filter(j -> j.status() == JobStatus.PENDING && !j.runAt().isAfter(now))
                .filter(j -> !recipeLimits.containsKey(j.recipeSlug())
                        || runningBySlug.getOrDefault(j.recipeSlug(), 0) < recipeLimits.get(j.recipeSlug()))
                .min(Comparator.comparing((Job j) -> -j.priority()).thenComparing(Job::runAt).thenComparing(Job::id));
        if (next.isEmpty()) {
            return Optional.empty();
        }
        Job j = next.get();
        Job claimed = j.toBuilder().status(JobStatus.RUNNING).leaseOwner(owner).leaseExpiresAt(leaseExpiresAt)
                .epoch(j.epoch() + 1).startedAt(j.startedAt() == null ? now : j.startedAt()).finishedAt(null)
                .updatedAt(now).build();
        jobs.put(j.id(), claimed);
        return Optional.of(copy(claimed));
    }

    @Override
    public synchronized List<Job> findClaimable(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return jobs.values().stream()
                .filter(j -> j.status() == JobStatus.PENDING && !j.runAt().isAfter(now))
                .sorted(Comparator.comparing((Job j) -> -j.priority()).thenComparing(Job::runAt).thenComparing(Job::id))
                .limit(limit)
                .map(InMemoryJobStore::copy)
                .toList();
    }

    @Override
    public synchronized Optional<Job> findJob(String jobId) {
        return Optional.ofNullable(jobs.get(jobId)).map(InMemoryJobStore::copy);
    }

    @Override
    public synchronized List<Job> findJobs(JobQuery query) {
        return jobs.values().stream()
                .filter(j -> query.statuses().isEmpty() || query.statuses().contains(j.status()))
                .sorted(Comparator.comparing(Job::createdAt).thenComparing(Job::id).reversed())
                .limit(query.limit())
                .map(InMemoryJobStore::copy)
                .toList();
    }

    @Override
    public synchronized List<JobStep> findSteps(String jobId) {
        return steps.getOrDefault(jobId, List.of()).stream().map(InMemoryJobStore::copy).toList();
    }

    @Override
    public synchronized List<LogEntry> findLogs(String jobId, long afterCursor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return logs.getOrDefault(jobId, new TreeMap<>()).tailMap(afterCursor, false).values().stream()
                .limit(limit).toList();
    }

    @Override
    public synchronized void write(JobWrite w) {
        Job current = jobs.get(w.job().id());
        if (current == null || !holds(w.guard(), current)
                || (w.previousLogCursor().isPresent() && w.previousLogCursor().getAsLong() != current.logCursor())) {
            throw new WriteConflictException(w.job().id(), w.guard());
        }
        List<JobStep> rows = steps.get(current.id());
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            index.put(rows.get(i).id(), i);
        }
        for (JobStep s : w.steps()) {
            if (!index.containsKey(s.id())) {
                throw new StoreException("job " + current.id() + " has no step row " + s.id());
            }
        }
        checkCursors(current.id(), w.logs());
        long logCursor = append(current.id(), Math.max(current.logCursor(), w.job().logCursor()), w.logs());
        Job next = w.job().toBuilder()
                .logCursor(logCursor)
                .input(current.input())
                .idempotencyKey(current.idempotencyKey())
                .manifest(w.writeManifest() ? w.job().manifest() : current.manifest())
                .cancelRequested(!w.clearCancel() && current.cancelRequested())
                .build();
        jobs.put(current.id(), copy(next));
        for (JobStep s : w.steps()) {
            rows.set(index.get(s.id()), copy(s));
        }
    }

    private static boolean holds(WriteGuard guard, Job current) {
        if (current.epoch() != guard.epoch()) {
            return false;
        }
        if (guard instanceof WriteGuard.Owner o) {
            return current.status() == JobStatus.RUNNING && o.owner().equals(current.leaseOwner());
        }
        if (guard instanceof WriteGuard.Claimable c) {
            return current.status() == JobStatus.PENDING
                    || (current.status() == JobStatus.RUNNING && current.leaseExpiresAt() != null
                            && !current.leaseExpiresAt().isAfter(c.now()));
        }
        return current.status() == ((WriteGuard.Status) guard).status();
    }

    @Override
    public synchronized Optional<Job> renewLease(String jobId, long epoch, String owner, Instant expiresAt,
            List<LogEntry> entries) {
        Job current = jobs.get(jobId);
        if (current == null || !holds(new WriteGuard.Owner(epoch, owner), current)) {
            return Optional.empty();
        }
        checkCursors(jobId, entries);
        Job renewed = current.toBuilder().leaseExpiresAt(expiresAt).logCursor(append(jobId, current.logCursor(), entries))
                .build();
        jobs.put(jobId, renewed);
        return Optional.of(copy(renewed));
    }

    @Override
    public synchronized boolean requestCancel(String jobId, Instant now) {
        Job current = jobs.get(jobId);
        if (current == null || current.status().isTerminal()) {
            return false;
        }
        jobs.put(jobId, current.toBuilder().cancelRequested(true).build());
        return true;
    }

    @Override
    public synchronized List<Job> findExpiredLeases(Instant now, int limit) {
        return jobs.values().stream()
                .filter(j -> j.status() == JobStatus.RUNNING && j.leaseExpiresAt() != null && !j.leaseExpiresAt().isAfter(now))
                .sorted(Comparator.comparing(Job::leaseExpiresAt))
                .limit(limit)
                .map(InMemoryJobStore::copy)
                .toList();
    }

    @Override
    public synchronized VersionedDocument publish(DocumentKind kind, String key, JsonNode content, String contentHash,
            Instant now) {
        List<VersionedDocument> versions = documents.computeIfAbsent(kind.value() + "/" + key, k -> new ArrayList<>());
        if (!versions.isEmpty() && versions.get(versions.size() - 1).contentHash().equals(contentHash)) {
            return copy(versions.get(versions.size() - 1));
        }
        VersionedDocument doc = new VersionedDocument(kind, key, versions.size() + 1, contentHash, content.deepCopy(), now);
        versions.add(doc);
        return copy(doc);
    }

    @Override
    public synchronized Optional<VersionedDocument> findDocument(DocumentKind kind, String key, Integer version) {
        List<VersionedDocument> versions = documents.getOrDefault(kind.value() + "/" + key, List.of());
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        if (version == null) {
            return Optional.of(copy(versions.get(versions.size() - 1)));
        }
        return version >= 1 && version <= versions.size() ? Optional.of(copy(versions.get(version - 1))) : Optional.empty();
    }

    @Override
    public synchronized List<VersionedDocument> findDocuments(DocumentKind kind) {
        return documents.values().stream()
                .filter(v -> v.get(0).kind() == kind)
                .map(v -> copy(v.get(v.size() - 1)))
                .sorted(Comparator.comparing(VersionedDocument::key))
                .toList();
    }

    @Override
    public synchronized List<VersionedDocument> findVersions(DocumentKind kind, String key) {
        return documents.getOrDefault(kind.value() + "/" + key, List.of()).stream().map(InMemoryJobStore::copy).toList();
    }

    private static VersionedDocument copy(VersionedDocument d) {
        return new VersionedDocument(d.kind(), d.key(), d.version(), d.contentHash(), d.content().deepCopy(), d.createdAt());
    }

    @Override
    public void close() {
        // nothing to release
    }

    /** A line whose cursor the job has is refused before anything changes (the durable stores' primary key). */
    private void checkCursors(String jobId, List<LogEntry> entries) {
        TreeMap<Long, LogEntry> lines = logs.getOrDefault(jobId, new TreeMap<>());
        Set<Long> seen = new HashSet<>();
        for (LogEntry e : entries) {
            if (e.cursor() > 0 && (lines.containsKey(e.cursor()) || !seen.add(e.cursor()))) {
                throw new StoreException("job " + jobId + " already has a log line with cursor " + e.cursor());
            }
        }
    }

    /**
     * Appends lines with the cursors they carry; lines with cursor 0 get the next ones after the
     * greatest of {@code logCursor} and the given cursors.
     *
     * @return the job's new log cursor
     */
    private long append(String jobId, long logCursor, List<LogEntry> entries) {
        long max = LogEntry.lastCursor(logCursor, entries);
        TreeMap<Long, LogEntry> lines = logs.computeIfAbsent(jobId, k -> new TreeMap<>());
        for (LogEntry e : entries) {
            long c = e.cursor() > 0 ? e.cursor() : ++max;
            lines.put(c, e.withCursor(c));
        }
        return max;
    }

    private static Job copy(Job j) {
        return j.toBuilder().input(j.input().deepCopy()).manifest(copy(j.manifest())).build();
    }

    @Override
    public synchronized Optional<JobStep> findCachedStep(String stepType, String inputHash) {
        return steps.values().stream().flatMap(List::stream)
                .filter(s -> s.status() == dev.stepwise.engine.api.StepStatus.SUCCESS && s.cacheable() && stepType.equals(s.stepType())
                        && inputHash.equals(s.inputHash()) && s.completedAt() != null)
                .max(java.util.Comparator.comparing(JobStep::completedAt))
                .map(InMemoryJobStore::copy);
    }

    @Override
    public synchronized java.util.Set<String> referencedArtifacts() {
        java.util.Set<String> out = new HashSet<>();
        steps.values().stream().flatMap(List::stream)
                .forEach(s -> dev.stepwise.engine.api.ArtifactRef.findIn(s.outputRefs()).forEach(r -> out.add(r.sha256())));
        return out;
    }

    @Override
    public synchronized List<dev.stepwise.engine.api.QueueStats> queueStats(Instant now) {
        return dev.stepwise.engine.api.QueueStats.tally(jobs.values(), now);
    }

    private static JobStep copy(JobStep s) {
        return s.toBuilder().outputRefs(copy(s.outputRefs())).build();
    }

    private static JsonNode copy(JsonNode n) {
        return n == null ? null : n.deepCopy();
    }
}
