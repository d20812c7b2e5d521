package dev.stepwise.engine.sqlite.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.ManifestSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/** Checks a finished job against its side-effect file: the pass criteria of the process tests. */
final class Effects {
    /** Re-executions seen (side-effect lines beyond the first, per step). */
    int reExecutions;
    /** Steps executed again after their result was committed (must stay 0). */
    int lostCheckpoints;

    private Effects() {
    }

    /** @return how many side-effect lines the file has so far (0 before the first) */
    static long lines(Path effects) throws IOException {
        if (!Files.exists(effects)) {
            return 0;
        }
        long n = 0;
        for (byte b : Files.readAllBytes(effects)) {
            if (b == '\n') {
                n++;
            }
        }
        return n;
    }

    static Map<String, List<Integer>> read(Path effects) throws IOException {
        Map<String, List<Integer>> byStep = new HashMap<>();
        if (!Files.exists(effects)) {
            return byStep;
        }
        for (String line : Files.readAllLines(effects)) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split(" ");
            byStep.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Integer.parseInt(parts[1]));
        }
        return byStep;
    }

    /**
     * Asserts: the job completed with progress 100 and a valid manifest; every step has exactly
     * one committed output, made by its last attempt; no attempt ran twice; a step ran more than
     * once only if a run found it interrupted (a crash landed while it was running).
     */
    static Effects verifyCompleted(JobStore store, String jobId, Path effects) throws IOException {
        Effects e = new Effects();
        Job job = store.findJob(jobId).orElseThrow();
        assertEquals(JobStatus.COMPLETED, job.status(), () -> "job " + job);
        assertEquals(100, job.progress());
        assertEquals(List.of(), ManifestSchema.validate(job.manifest()));
        Map<String, List<Integer>> lines = read(effects);
        for (JobStep s : store.findSteps(jobId)) {
            assertTrue(s.status().hasOutput(), () -> "step without committed output: " + s);
            assertNotNull(s.outputRefs(), s.stepKey());
            int producedBy = s.outputRefs().get("attempt").asInt();
            List<Integer> attempts = lines.getOrDefault(s.stepKey(), List.of());
            assertTrue(attempts.contains(producedBy), s.stepKey() + ": output of attempt " + producedBy + " but lines " + attempts);
            assertEquals(attempts.size(), new HashSet<>(attempts).size(), s.stepKey() + ": an attempt ran twice " + attempts);
            int max = attempts.stream().max(Integer::compare).orElse(0);
            if (producedBy != max || producedBy != s.attempts()) {
                e.lostCheckpoints++;
            }
            int again = attempts.size() - 1;
            assertTrue(again <= s.interruptions(), s.stepKey() + ": executed " + attempts.size()
                    + " times but only " + s.interruptions() + " crashes landed while it ran");
            e.reExecutions += again;
        }
        assertEquals(0, e.lostCheckpoints, "lost checkpoints");
        return e;
    }
}
