package dev.stepwise.engine.api;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How many jobs of one recipe wait, run and failed, and since when the oldest runnable one
 * waits: what queue gauges show ({@link JobStore#queueStats(Instant)}).
 *
 * @param recipe               the recipe slug
 * @param pending              jobs {@code pending} (due or not)
 * @param running              jobs {@code running}
 * @param failed               jobs {@code failed}
 * @param oldestRunnableSince  the earliest run-at among {@code pending} jobs whose run-at has come
 *                             (empty when none is runnable)
 */
public record QueueStats(String recipe, long pending, long running, long failed, Optional<Instant> oldestRunnableSince) {

    /** Validates the fields. */
    public QueueStats {
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(oldestRunnableSince, "oldestRunnableSince");
        if (pending < 0 || running < 0 || failed < 0) {
            throw new IllegalArgumentException("counts must be >= 0, were pending=" + pending + " running=" + running
                    + " failed=" + failed);
        }
    }

    /**
     * @param now the current time
     * @return how long the oldest runnable job has waited (queue lag); zero when none waits
     */
    public Duration lag(Instant now) {
        return oldestRunnableSince.map(since -> Duration.between(since, now)).filter(d -> !d.isNegative())
                .orElse(Duration.ZERO);
    }

    /**
     * Counts jobs in memory (the default {@link JobStore#queueStats(Instant)}, the in-memory store).
     *
     * @param jobs the jobs (any statuses; only pending, running and failed count)
     * @param now  the current time
     * @return one entry per recipe that has such jobs, ordered by recipe slug
     */
    public static List<QueueStats> tally(Iterable<Job> jobs, Instant now) {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, Instant> oldest = new HashMap<>();
        for (Job j : jobs) {
            int column = j.status() == JobStatus.PENDING ? 0 : j.status() == JobStatus.RUNNING ? 1
                    : j.status() == JobStatus.FAILED ? 2 : -1;
            if (column < 0) {
                continue;
            }
            counts.computeIfAbsent(j.recipeSlug(), k -> new long[3])[column]++;
            if (column == 0 && !j.runAt().isAfter(now)) {
                oldest.merge(j.recipeSlug(), j.runAt(), (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        List<QueueStats> out = new ArrayList<>();
        counts.forEach((recipe, c) -> out.add(new QueueStats(recipe, c[0], c[1], c[2], Optional.ofNullable(oldest.get(recipe)))));
        return out;
    }
}
