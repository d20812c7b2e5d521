package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.QueueStats;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code JobStore.queueStats}: what queue gauges read (issue 14). Every store passes it; the
 * default implementation of the SPI does too (the in-memory store's tally is the same code).
 */
public abstract class QueueStatsContract extends StoreContractBase {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void countsPendingRunningAndFailedJobsPerRecipeAndTheOldestRunnablePendingOne() {
        MutableClock clock = new MutableClock(T0);
        JobEngine engine = track(JobEngine.builder(store).clock(clock)
                .step("ok", ctx -> Map.of())
                .step("boom", ctx -> {
                    throw new PermanentStepException("no");
                })
                .recipe(Recipe.builder("alpha").step("a", "ok").build())
                .recipe(Recipe.builder("beta").step("a", "boom").build())
                .recipe(Recipe.builder("gamma").step("a", "ok").build()));
        assertEquals(List.of(), store.queueStats(T0));

        assertEquals(JobStatus.COMPLETED, engine.run(engine.createJob("gamma", obj()).id()).status());
        assertEquals(JobStatus.COMPLETED, engine.run(engine.createJob("alpha", obj()).id()).status());
        assertEquals(JobStatus.FAILED, engine.run(engine.createJob("beta", obj()).id()).status());
        Job first = engine.submit("alpha", obj(), SubmitOptions.defaults()).job();
        clock.advance(Duration.ofSeconds(5));
        Job second = engine.submit("alpha", obj(), SubmitOptions.defaults()).job();
        engine.submit("alpha", obj(), SubmitOptions.defaults().withRunAt(T0.plus(Duration.ofHours(1))));
        Instant now = clock.instant();
        Job claimed = store.claimNext("contract-worker", now, now.plusSeconds(30), Map.of()).orElseThrow();
        assertEquals(first.id(), claimed.id());
        clock.advance(Duration.ofSeconds(5));

        assertEquals(List.of(
                new QueueStats("alpha", 2, 1, 0, Optional.of(second.runAt())),
                new QueueStats("beta", 0, 0, 1, Optional.empty())), store.queueStats(clock.instant()));
        assertEquals(Duration.ofSeconds(5), store.queueStats(clock.instant()).get(0).lag(clock.instant()));
        assertEquals(List.of(new QueueStats("alpha", 2, 1, 0, Optional.empty()), new QueueStats("beta", 0, 0, 1, Optional.empty())),
                store.queueStats(second.runAt().minusMillis(1)), "a pending job is runnable once its run-at has come");
    }
}
