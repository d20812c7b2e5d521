package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.core.FileManifestWriter;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.examples.wordcount.WordCount;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example host app: a command line over a {@link JobEngine} backed by a
 * {@link SqliteJobStore} file, with the {@code wordcount} recipe registered.
 *
 * <pre>
 * stepwise [--db PATH] run RECIPE [--input JSON|@FILE]
 * stepwise [--db PATH] list | status JOB | logs JOB | manifest JOB | cancel JOB | retry JOB | resume JOB
 * </pre>
 *
 * <p>Exit codes: {@value #EXIT_COMPLETED} completed (or the command succeeded),
 * {@value #EXIT_FAILED} the job failed (or is busy elsewhere), {@value #EXIT_USAGE} bad usage or
 * input, {@value #EXIT_CANCELLED} the job was cancelled. Errors are one line on stderr,
 * starting with {@code error:}.
 */
public final class StepwiseCli {
    /** The job completed, or a command that runs no job succeeded. */
    public static final int EXIT_COMPLETED = 0;
    /** The job failed, its lease is held by a live runner, or the store failed. */
    public static final int EXIT_FAILED = 1;
    /** Bad usage or bad input: unknown command, recipe or job, bad JSON, missing file. */
    public static final int EXIT_USAGE = 2;
    /** The job ended cancelled. */
    public static final int EXIT_CANCELLED = 3;

    /** Database used when {@code --db} is not given. */
    public static final Path DEFAULT_DB = Path.of("stepwise.db");
    /** Folder (next to the database) that receives one {@code <jobId>/manifest.json} per job. */
    public static final String MANIFEST_DIR = "stepwise-manifests";
    /** Folder (next to the database) that receives wordcount reports when the input has no {@code out}. */
    public static final String REPORT_DIR = "stepwise-reports";

    static final String USAGE = """
            usage: stepwise [--db PATH] COMMAND [ARGS]
              run RECIPE [--input JSON|@FILE]  create a job and run it; prints its id, then a summary
              list                             the newest jobs
              status JOB                       a job and its steps
              logs JOB                         a job's log: time, level, step, message
              manifest JOB                     a job's manifest as JSON
              cancel JOB                       cancel a pending job, or ask a running one to stop
              retry JOB                        run a failed or cancelled job again from its first step without a checkpoint
              resume JOB                       run a job whose process died, once its lease expired
            options:
              --db PATH                        the SQLite database (default ./stepwise.db); manifests go to
                                               stepwise-manifests/ and reports to stepwise-reports/ beside it
            exit codes: 0 completed, 1 failed, 2 bad usage or input, 3 cancelled""";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintStream out;
    private final PrintStream err;

    private StepwiseCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the CLI and exits the JVM with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command. Never throws and never prints a stack trace: failures become one
     * {@code error: ...} line on {@code err} and an exit code.
     *
     * @param args the command line
     * @param out  where results go (job ids, tables, JSON)
     * @param err  where errors go
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        StepwiseCli cli = new StepwiseCli(out, err);
        try {
            return cli.dispatch(Args.parse(args));
        } catch (UsageException e) {
            return cli.error(EXIT_USAGE, e.getMessage());
        } catch (UnknownJobException | UnknownRecipeException | UnknownStepTypeException | IllegalTransitionException e) {
            return cli.error(EXIT_USAGE, e.getMessage());
        } catch (JobBusyException e) {
            return cli.error(EXIT_FAILED, e.getMessage());
        } catch (EngineException e) {
            return cli.error(EXIT_FAILED, e.getMessage() + causeOf(e));
        } catch (RuntimeException e) {
            return cli.error(EXIT_FAILED, "unexpected " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int dispatch(Args a) {
        if (a.command == null || a.command.equals("help")) {
            if (a.help || "help".equals(a.command)) {
                out.println(USAGE);
                return EXIT_COMPLETED;
            }
            throw new UsageException("no command given; commands: run, list, status, logs, manifest, cancel, retry, resume (--help for usage)");
        }
        if (a.help) {
            out.println(USAGE);
            return EXIT_COMPLETED;
        }
        return switch (a.command) {
            case "run" -> {
                a.expectOperands(1, "run RECIPE [--input JSON|@FILE]");
                JsonNode input = parseInput(a.input);
                try (Session s = open(a.db, true)) {
                    Job job;
                    try {
                        job = s.engine.createJob(a.operands.get(0), input);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--input is not valid for recipe '" + a.operands.get(0) + "': " + e.getMessage());
                    }
                    out.println(job.id());
                    out.flush();
                    yield finished(s, s.engine.run(job.id()));
                }
            }
            case "list" -> {
                a.expectOperands(0, "list");
                try (Session s = open(a.db, false)) {
                    list(s.engine.jobs(JobQuery.all()));
                    yield EXIT_COMPLETED;
                }
            }
            case "status" -> {
                a.expectOperands(1, "status JOB");
                try (Session s = open(a.db, false)) {
                    status(s.engine, s.engine.job(a.operands.get(0)));
                    yield EXIT_COMPLETED;
                }
            }
            case "logs" -> {
                a.expectOperands(1, "logs JOB");
                try (Session s = open(a.db, false)) {
                    logs(s.engine, s.engine.job(a.operands.get(0)).id());
                    yield EXIT_COMPLETED;
                }
            }
            case "manifest" -> {
                a.expectOperands(1, "manifest JOB");
                try (Session s = open(a.db, false)) {
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s.engine.manifest(a.operands.get(0))));
                    yield EXIT_COMPLETED;
                }
            }
            case "cancel" -> {
                a.expectOperands(1, "cancel JOB");
                try (Session s = open(a.db, false)) {
                    Job job = s.engine.cancel(a.operands.get(0));
                    if (job.status() == JobStatus.CANCELLED) {
                        out.println("job " + job.id() + " cancelled");
                    } else {
                        out.println("cancel requested: job " + job.id() + " is " + job.status()
                                + " and stops before its next step");
                    }
                    yield EXIT_COMPLETED;
                }
            }
            case "retry" -> {
                a.expectOperands(1, "retry JOB");
                try (Session s = open(a.db, false)) {
                    Job job = s.engine.retry(a.operands.get(0));
                    out.println(job.id());
                    out.flush();
                    yield finished(s, s.engine.run(job.id()));
                }
            }
            case "resume" -> {
                a.expectOperands(1, "resume JOB");
                try (Session s = open(a.db, false)) {
                    yield resume(s, a.operands.get(0));
                }
            }
            default -> throw new UsageException("unknown command '" + a.command
                    + "'; commands: run, list, status, logs, manifest, cancel, retry, resume (--help for usage)");
        };
    }

    private int resume(Session s, String jobId) {
        Job job = s.engine.job(jobId);
        switch (job.status()) {
            case COMPLETED -> {
                out.println(job.id());
                return finished(s, job);
            }
            case FAILED, CANCELLED -> throw new UsageException("job " + job.id() + " is " + job.status()
                    + ", not interrupted; use 'retry " + job.id() + "' to run it again");
            case RUNNING, PENDING -> {
                s.engine.recover();
                out.println(job.id());
                out.flush();
                return finished(s, s.engine.run(job.id()));
            }
        }
        throw new IllegalStateException("unhandled status " + job.status());
    }

    /** Prints the one-line summary of a job that ended, and returns its exit code. */
    private int finished(Session s, Job job) {
        List<JobStep> steps = s.engine.steps(job.id());
        long executed = steps.stream().filter(st -> st.status() == StepStatus.SUCCESS || st.status() == StepStatus.FAILED).count();
        long reused = steps.stream().filter(st -> st.status() == StepStatus.SKIPPED).count();
        StringBuilder line = new StringBuilder()
                .append(job.status()).append(": job ").append(job.id()).append(" (").append(job.recipeId()).append(")")
                .append(", ").append(steps.size()).append(" steps: ").append(executed).append(" executed, ")
                .append(reused).append(" from checkpoint, ").append(job.durationMs()).append(" ms");
        switch (job.status()) {
            case COMPLETED -> {
                JsonNode output = steps.get(steps.size() - 1).outputRefs();
                if (output != null && output.path("path").isString()) {
                    line.append("; output: ").append(output.path("path").asString());
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
            List<LogEntry> page = engine.logs(jobId, cursor, 500);
            for (LogEntry e : page) {
                String where = e.stepKey() == null ? "job" : e.stepKey() + "#" + e.attempt();
                out.printf("%s %-5s %-12s %s%n", e.at(), e.level(), where, e.message());
                cursor = e.cursor();
            }
            if (page.size() < 500) {
                return;
            }
        }
    }

    private static JsonNode parseInput(String raw) {
        if (raw == null) {
            return JSON.createObjectNode();
        }
        String text = raw;
        String what = "--input";
        if (raw.startsWith("@")) {
            Path file;
            try {
                file = Path.of(raw.substring(1));
            } catch (InvalidPathException e) {
                throw new UsageException("--input file name '" + raw.substring(1) + "' is not a valid path");
            }
            what = "--input file " + file;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new UsageException("--input file " + file + " does not exist");
            } catch (IOException e) {
                throw new UsageException("--input file " + file + " cannot be read: " + e);
            }
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JacksonException e) {
            TokenStreamLocation loc = e.getLocation();
            throw new UsageException(what + " is not valid JSON: " + firstLine(e.getOriginalMessage())
                    + (loc == null ? "" : " at line " + loc.getLineNr() + " column " + loc.getColumnNr()));
        }
        if (node == null || node.isMissingNode()) {
            throw new UsageException(what + " is empty; give a JSON object, e.g. {\"file\": \"README.md\"}");
        }
        if (!node.isObject()) {
            throw new UsageException(what + " must be a JSON object, was " + node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return node;
    }

    private Session open(Path db, boolean create) {
        if (!create && !Files.exists(db)) {
            throw new UsageException("no database at " + db.toAbsolutePath() + "; run a job first or pass --db PATH");
        }
        Path dir = db.toAbsolutePath().getParent();
        SqliteJobStore store = SqliteJobStore.builder(db).build();
        try {
            JobEngine.Builder b = JobEngine.builder(store)
                    .manifestWriter(new FileManifestWriter(dir.resolve(MANIFEST_DIR)))
                    // Only 'resume' recovers orphaned jobs, so that reading commands never write.
                    .recoverOnStart(false);
            JobEngine engine = WordCount.register(b, dir.resolve(REPORT_DIR)).build();
            return new Session(store, engine);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private int error(int code, String message) {
        err.println("error: " + firstLine(message));
        return code;
    }

    private static String causeOf(Throwable e) {
        Throwable c = e.getCause();
        return c == null || c.getMessage() == null || e.getMessage().contains(c.getMessage()) ? "" : " (" + firstLine(c.getMessage()) + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    /** An open store and the engine on it; closing closes both. */
    private record Session(SqliteJobStore store, JobEngine engine) implements AutoCloseable {
        @Override
        public void close() {
            try {
                engine.close();
            } finally {
                store.close();
            }
        }
    }

    /** Bad usage or input: exit {@value #EXIT_USAGE}. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The parsed command line. */
    static final class Args {
        Path db = DEFAULT_DB;
        String command;
        String input;
        boolean help;
        final List<String> operands = new ArrayList<>();

        static Args parse(String[] argv) {
            Args a = new Args();
            for (int i = 0; i < argv.length; i++) {
                String arg = argv[i];
                if (arg.equals("--db") || arg.equals("--input")) {
                    if (i + 1 >= argv.length) {
                        throw new UsageException(arg + " needs a value");
                    }
                    a.option(arg, argv[++i]);
                } else if (arg.startsWith("--db=") || arg.startsWith("--input=")) {
                    int eq = arg.indexOf('=');
                    a.option(arg.substring(0, eq), arg.substring(eq + 1));
                } else if (arg.equals("--help") || arg.equals("-h")) {
                    a.help = true;
                } else if (arg.startsWith("-") && arg.length() > 1) {
                    throw new UsageException("unknown option '" + arg + "' (--help for usage)");
                } else if (a.command == null) {
                    a.command = arg;
                } else {
                    a.operands.add(arg);
                }
            }
            if (a.input != null && a.command != null && !a.command.equals("run")) {
                throw new UsageException("--input is only for 'run'");
            }
            return a;
        }

        private void option(String name, String value) {
            if (name.equals("--db")) {
                if (value.isBlank()) {
                    throw new UsageException("--db needs a file path");
                }
                try {
                    db = Path.of(value);
                } catch (InvalidPathException e) {
                    throw new UsageException("--db '" + value + "' is not a valid path");
                }
            } else {
                if (input != null) {
                    throw new UsageException("--input given twice");
                }
                input = value;
            }
        }

        void expectOperands(int n, String usage) {
            if (operands.size() != n) {
                throw new UsageException((operands.size() < n ? "missing argument" : "too many arguments")
                        + "; usage: stepwise [--db PATH] " + usage);
            }
        }
    }
}
