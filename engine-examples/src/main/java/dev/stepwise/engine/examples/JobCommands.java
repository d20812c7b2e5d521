package dev.stepwise.engine.examples;

import static dev.stepwise.engine.examples.StepwiseCli.EXIT_CANCELLED;
import static dev.stepwise.engine.examples.StepwiseCli.EXIT_COMPLETED;
import static dev.stepwise.engine.examples.StepwiseCli.EXIT_FAILED;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.Submitted;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The job commands: {@code run}, {@code submit}, {@code list}, {@code status}, {@code logs},
 * {@code manifest}, {@code cancel}, {@code retry} and {@code resume}.
 */
final class JobCommands implements Command {
    private static final String SUBMIT_USAGE =
            "submit RECIPE [--version N] --input JSON|@FILE [--priority N] [--run-at ISO-INSTANT|+DURATION] [--key KEY]";
    /** Lines per page when reading a job's log. */
    private static final int LOG_PAGE = 500;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final CliContext ctx;
    private final PrintStream out;
    private final PrintStream err;

    JobCommands(CliContext ctx) {
        this.ctx = ctx;
        this.out = ctx.out();
        this.err = ctx.err();
    }

    @Override
    public int run(CliArgs a) {
        return switch (a.command) {
            case "run" -> runJob(a);
            case "submit" -> submit(a);
            case "list" -> {
                a.expectOperands(0, "list");
                try (Session s = open(a, false)) {
                    list(s.engine().jobs(JobQuery.all()));
                    yield EXIT_COMPLETED;
                }
            }
            case "status" -> {
                a.expectOperands(1, "status JOB");
                try (Session s = open(a, false)) {
                    status(s.engine(), s.engine().job(a.operands.get(0)));
                    yield EXIT_COMPLETED;
                }
            }
            case "logs" -> {
                a.expectOperands(1, "logs JOB");
                try (Session s = open(a, false)) {
                    logs(s.engine(), s.engine().job(a.operands.get(0)).id());
                    yield EXIT_COMPLETED;
                }
            }
            case "manifest" -> {
                a.expectOperands(1, "manifest JOB");
                try (Session s = open(a, false)) {
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s.engine().manifest(a.operands.get(0))));
                    yield EXIT_COMPLETED;
                }
            }
            case "cancel" -> cancel(a);
            case "retry" -> {
                a.expectOperands(1, "retry JOB");
                try (Session s = open(a, false)) {
                    Job job = s.engine().retry(a.operands.get(0));
                    out.println(job.id());
                    out.flush();
                    yield finished(s.engine(), s.engine().run(job.id()));
                }
            }
            case "resume" -> {
                a.expectOperands(1, "resume JOB");
                try (Session s = open(a, false)) {
                    yield resume(s.engine(), a.operands.get(0));
                }
            }
            default -> throw new IllegalStateException("not a job command: " + a.command);
        };
    }

    private Session open(CliArgs a, boolean create) {
        return Session.open(a.db, create, ctx.clock());
    }

    private int runJob(CliArgs a) {
        a.expectOperands(1, "run RECIPE [--version N] [--input JSON|@FILE]");
        JsonNode input = CliArgs.parseInput(a.input);
        try (Session s = open(a, true)) {
            Job job;
            try {
                // Validates the input against the recipe's input schema before anything is written.
                job = s.engine().createJob(a.operands.get(0), a.version, input);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--input is not valid for recipe '" + a.operands.get(0) + "': " + e.getMessage());
            }
            out.println(job.id());
            out.flush();
            return finished(s.engine(), s.engine().run(job.id()));
        }
    }

    private int submit(CliArgs a) {
        a.expectOperands(1, SUBMIT_USAGE);
        if (a.input == null) {
            throw new UsageException("--input is required; usage: stepwise [--db PATH] " + SUBMIT_USAGE);
        }
        String slug = a.operands.get(0);
        JsonNode input = CliArgs.parseInput(a.input);
        Instant runAt = a.runAt == null ? null : CliArgs.parseRunAt(a.runAt, ctx.clock().instant());
        SubmitOptions options = SubmitOptions.defaults().withRecipeVersion(a.version).withRunAt(runAt)
                .withPriority(a.priority == null ? 0 : a.priority).withIdempotencyKey(a.key);
        try (Session s = open(a, true)) {
            Submitted submitted;
            try {
                // Validates the input against the recipe's input schema before anything is written.
                submitted = s.engine().submit(slug, input, options);
            } catch (IllegalArgumentException e) {
                throw new UsageException("cannot submit to recipe '" + slug + "': " + e.getMessage());
            }
            Job job = submitted.job();
            out.println(job.id());
            if (!submitted.created()) {
                boolean same = job.recipeSlug().equals(slug) && job.input().equals(input);
                err.println("note: idempotency key '" + a.key + "' was used before: job " + job.id() + " (" + job.recipeId()
                        + ", " + job.status() + ") already exists, nothing new was submitted"
                        + (same ? "" : "; its recipe or input differs from this submit"));
            }
            return EXIT_COMPLETED;
        }
    }

    private int cancel(CliArgs a) {
        a.expectOperands(1, "cancel JOB");
        try (Session s = open(a, false)) {
            Job job = s.engine().cancel(a.operands.get(0));
            if (job.status() == JobStatus.CANCELLED) {
                out.println("job " + job.id() + " cancelled");
            } else {
                out.println("cancel requested: job " + job.id() + " is " + job.status()
                        + " and stops before its next step");
            }
            return EXIT_COMPLETED;
        }
    }

    private int resume(JobEngine engine, String jobId) {
        Job job = engine.job(jobId);
        switch (job.status()) {
            case COMPLETED -> {
                out.println(job.id());
                return finished(engine, job);
            }
            case FAILED, CANCELLED -> throw new UsageException("job " + job.id() + " is " + job.status()
                    + ", not interrupted; use 'retry " + job.id() + "' to run it again");
            case RUNNING, PENDING -> {
                engine.recover();
                out.println(job.id());
                out.flush();
                return finished(engine, engine.run(job.id()));
            }
        }
        throw new IllegalStateException("unhandled status " + job.status());
    }

    /** Prints the one-line summary of a job that ended, and returns its exit code. */
    private int finished(JobEngine engine, Job job) {
        List<JobStep> steps = engine.steps(job.id());
        long executed = steps.stream().filter(st -> st.status() == StepStatus.SUCCESS || st.status() == StepStatus.FAILED).count();
        long cached = steps.stream().filter(st -> st.status() == StepStatus.SKIPPED && st.cachedFrom() != null).count();
        long reused = steps.stream().filter(st -> st.status() == StepStatus.SKIPPED).count() - cached;
        StringBuilder line = new StringBuilder()
                .append(job.status()).append(": job ").append(job.id()).append(" (").append(job.recipeId()).append(")")
                .append(", ").append(steps.size()).append(" steps: ").append(executed).append(" executed, ")
                .append(reused).append(" from checkpoint, ").append(cached > 0 ? cached + " from the step cache, " : "")
                .append(job.durationMs()).append(" ms");
        switch (job.status()) {
            case COMPLETED -> {
                JsonNode output = steps.get(steps.size() - 1).outputRefs();
                if (output != null && output.path("path").isString()) {
                    line.append("; output: ").append(output.path("path").asString());
                } else if (output != null && !output.isNull()) {
                    String json = JSON.writeValueAsString(output);
                    line.append("; output: ").append(json.length() <= 200 ? json : json.substring(0, 200) + "...");
                }
                out.println(line);
                return EXIT_COMPLETED;
            }
            case CANCELLED -> {
                out.println(line);
                return EXIT_CANCELLED;
            }
            case FAILED -> {
                line.append("; ").append(job.lastError());
                out.println(line);
                err.println("error: job " + job.id() + " failed: " + job.lastError());
                return EXIT_FAILED;
            }
            default -> {
                out.println(line);
                return EXIT_FAILED;
            }
        }
    }

    private void list(List<Job> jobs) {
        if (jobs.isEmpty()) {
            out.println("no jobs");
            return;
        }
        out.printf("%-26s  %-9s  %-14s  %4s  %-24s  %s%n", "JOB", "STATUS", "RECIPE", "PCT", "CREATED", "STEP / ERROR");
        for (Job j : jobs) {
            String detail = j.lastError() != null ? j.lastError() : j.currentStep() == null ? "" : j.currentStep();
            out.printf("%-26s  %-9s  %-14s  %3d%%  %-24s  %s%n", j.id(), j.status(), j.recipeId(), j.progress(),
                    j.createdAt(), detail);
        }
    }

    private void status(JobEngine engine, Job j) {
        out.println("job:        " + j.id());
        out.println("recipe:     " + j.recipeId());
        out.println("status:     " + j.status());
        out.println("progress:   " + j.progress() + "%");
        out.println("input:      " + JSON.writeValueAsString(j.input()));
        out.println("created:    " + j.createdAt());
        out.println("updated:    " + j.updatedAt());
        if (j.finishedAt() != null) {
            out.println("finished:   " + j.finishedAt());
        }
        out.println("duration:   " + j.durationMs() + " ms");
        if (j.status() == JobStatus.RUNNING && j.leaseOwner() != null) {
            out.println("lease:      " + j.leaseOwner() + " until " + j.leaseExpiresAt());
        }
        if (j.cancelRequested()) {
            out.println("cancel:     requested");
        }
        if (j.lastError() != null) {
            out.println("last error: " + j.lastError());
        }
        out.println("steps:");
        for (JobStep st : engine.steps(j.id())) {
            String note = st.error() != null ? "  " + st.error() : st.skipReason() != null ? "  (" + st.skipReason() + ")" : "";
            out.printf("  %-12s %-8s attempts %d  %5d ms%s%n", st.stepKey(), st.status(), st.attempts(), st.durationMs(), note);
        }
    }

    private void logs(JobEngine engine, String jobId) {
        long cursor = 0;
        while (true) {
            List<LogEntry> page = engine.logs(jobId, cursor, LOG_PAGE);
            for (LogEntry e : page) {
                String where = e.stepKey() == null ? "job" : e.stepKey() + "#" + e.attempt();
                out.printf("%s %-5s %-12s %s%n", e.at(), e.level(), where, e.message());
                cursor = e.cursor();
            }
            if (page.size() < LOG_PAGE) {
                return;
            }
        }
    }
}
