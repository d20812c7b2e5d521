package dev.stepwise.engine.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.ManifestSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A new engine on the same SQLite file reads back exactly what the first one left. */
class SqliteRestartTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    private static JobEngine engine(SqliteJobStore store) {
        return JobEngine.builder(store)
                .step("ok", ctx -> {
                    ctx.log().info("working on {}", ctx.stepKey());
                    return JSON.readTree("{\"key\":\"" + ctx.stepKey() + "\",\"n\":" + ctx.outputs().size() + "}");
                })
                .step("fail", ctx -> {
                    throw new IllegalArgumentException("bad data in row 7");
                })
                .recipe(Recipe.builder("good").step("a", "ok").step("b", "ok").step("c", "ok").build())
                .recipe(Recipe.builder("bad").step("a", "ok").step("b", "fail").build())
                .build();
    }

    /** Everything a user can read about a job. */
    private record Snapshot(Job job, List<JobStep> steps, List<LogEntry> logs, JsonNode manifest) {
    }

    private static Map<String, Snapshot> readAll(JobEngine engine) {
        Map<String, Snapshot> out = new LinkedHashMap<>();
        for (Job j : engine.jobs(JobQuery.all())) {
            out.put(j.id(), new Snapshot(j, engine.steps(j.id()), engine.logs(j.id(), 0, 10_000), engine.manifest(j.id())));
        }
        return out;
    }

    @Test
    void aNewEngineOnTheSameFileReadsBackTheSameJobsStepsLogsAndManifests() {
        Path db = dir.resolve("restart.db");
        Map<String, Snapshot> before;
        List<String> ids = new ArrayList<>();
        try (SqliteJobStore store = SqliteJobStore.builder(db).build(); JobEngine engine = engine(store)) {
            Job completed = engine.run(engine.createJob("good", JSON.readTree("{\"file\":\"a.txt\"}")).id());
            Job failed = engine.run(engine.createJob("bad", null).id());
            Job cancelled = engine.cancel(engine.createJob("good", null).id());
            Job pending = engine.createJob("good", JSON.readTree("{\"unicode\":\"çã ✓\"}"));
            ids.addAll(List.of(completed.id(), failed.id(), cancelled.id(), pending.id()));
            assertEquals(JobStatus.COMPLETED, completed.status());
            assertEquals(JobStatus.FAILED, failed.status());
            before = readAll(engine);
        }
        try (SqliteJobStore store = SqliteJobStore.builder(db).build(); JobEngine engine = engine(store)) {
            Map<String, Snapshot> after = readAll(engine);
            assertEquals(before, after);
            assertEquals(4, after.size());
            for (String id : ids) {
                Snapshot s = after.get(id);
                assertEquals(List.of(), ManifestSchema.validate(s.manifest()), id);
                assertTrue(s.logs().stream().allMatch(l -> l.at() != null), "logs keep their timestamps");
                if (s.job().manifest() != null && s.job().status().isTerminal()) {
                    assertEquals(s.manifest(), s.job().manifest(), "the persisted manifest is the one built from the rows");
                }
            }
            // and the pending one still runs to the end after the restart
            assertEquals(JobStatus.COMPLETED, engine.run(ids.get(3)).status());
        }
    }
}
