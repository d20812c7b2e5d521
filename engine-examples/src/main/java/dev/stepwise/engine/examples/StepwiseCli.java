package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.FileManifestWriter;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.dashboard.Dashboard;
import dev.stepwise.engine.examples.greeting.Greeting;
import dev.stepwise.engine.examples.wordcount.WordCount;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example host app: a command line over a {@link JobEngine} backed by a
 * {@link SqliteJobStore} file. Recipes and config live in the database, versioned; the bundled
 * ones ({@code wordcount}, {@code greeting} and its prompt) are seeded at start-up by
 * {@link Catalog}.
 *
 * <pre>
 * stepwise [--db PATH] run RECIPE [--version N] [--input JSON|@FILE]
 * stepwise [--db PATH] submit RECIPE [--version N] --input JSON|@FILE [--priority N] [--run-at ISO-INSTANT|+DURATION] [--key KEY]
 * stepwise [--db PATH] worker [--workers N] [--poll MS] [--grace SECONDS] [--limit SLUG=N ...] [--exit-when-idle]
 *                               [--dashboard [--port N] [--bind ADDR] [--token T]]
 * stepwise [--db PATH] dashboard [--port N] [--bind ADDR] [--token T]
 * stepwise [--db PATH] list | status JOB | logs JOB | manifest JOB | cancel JOB | retry JOB | resume JOB
 * stepwise [--db PATH] recipes list | recipes show SLUG [--version N] | recipes publish FILE
 * stepwise [--db PATH] config list | config set KIND KEY JSON|@FILE
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
              run RECIPE [--version N] [--input JSON|@FILE]
                                               create a job on the latest (or the named) version of a recipe
                                               and run it; prints its id, then a summary
              submit RECIPE [--version N] --input JSON|@FILE [--priority N] [--run-at ISO-INSTANT|+DURATION] [--key KEY]
                                               queue a job for the workers; prints its id (the existing job's id
                                               when --key was used before). +DURATION: +500ms, +30s, +5m, +2h, +1d
              worker [--workers N] [--poll MS] [--grace SECONDS] [--limit SLUG=N ...] [--exit-when-idle]
                     [--dashboard [--port N] [--bind ADDR] [--token T]]
                                               run queued jobs (default 1 worker, poll 500 ms, grace 30 s) until
                                               Ctrl-C/SIGTERM (graceful: running steps finish, unfinished jobs
                                               are handed back) or, with --exit-when-idle, until no job is
                                               running or runnable now; prints '<job> <status>' per finished job
                                               (--dashboard: and serve the dashboard, as below)
              dashboard [--port N] [--bind ADDR] [--token T]
                                               serve the web dashboard on this database until Ctrl-C
                                               (default http://127.0.0.1:7070/; --port 0 = any free port;
                                               any --bind but loopback needs --token); prints its address
              list                             the newest jobs
              status JOB                       a job and its steps
              logs JOB                         a job's log: time, level, step, message
              manifest JOB                     a job's manifest as JSON
              cancel JOB                       cancel a pending job, or ask a running one to stop
              retry JOB                        run a failed or cancelled job again from its first step without a checkpoint
              resume JOB                       run a job whose process died, once its lease expired
              recipes list                     every recipe: slug, latest version, steps
              recipes show SLUG [--version N]  a recipe version as JSON (default: the latest)
              recipes publish FILE             publish a recipe JSON file as the next version (no-op if unchanged)
              config list                      every config entry: kind, key, latest version
              config set KIND KEY JSON|@FILE   set a prompt, preset or provider (the next version; no-op if unchanged)
            options:
              --db PATH                        the SQLite database (default ./stepwise.db); manifests go to
                                               stepwise-manifests/ and reports to stepwise-reports/ beside it
            exit codes: 0 completed, 1 failed, 2 bad usage or input, 3 cancelled""";

    private static final String COMMANDS = "run, submit, worker, dashboard, list, status, logs, manifest, cancel, retry, resume, recipes, config";
    private static final List<DocumentKind> CONFIG_KINDS = List.of(DocumentKind.PROMPT, DocumentKind.PRESET, DocumentKind.PROVIDER);
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
        System.exit(run(args, System.out, System.err, StopSignal.onShutdown()));
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
        return run(args, out, err, new StopSignal(false));
    }

    /**
     * Runs one command; {@code worker} stops gracefully when {@code stop} is requested (or its
     * thread is interrupted).
     */
    static int run(String[] args, PrintStream out, PrintStream err, StopSignal stop) {
        StepwiseCli cli = new StepwiseCli(out, err);
        try {
            return cli.dispatch(Args.parse(args), stop);
        } catch (UsageException e) {
            return cli.error(EXIT_USAGE, e.getMessage());
        } catch (UnknownJobException | UnknownRecipeException | UnknownStepTypeException | IllegalTransitionException
                | InvalidInputException | InvalidRecipeException e) {
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

    private int dispatch(Args a, StopSignal stop) {
        if (a.command == null || a.command.equals("help")) {
            if (a.help || "help".equals(a.command)) {
                out.println(USAGE);
                return EXIT_COMPLETED;
            }
            throw new UsageException("no command given; commands: " + COMMANDS + " (--help for usage)");
        }
        if (a.help) {
            out.println(USAGE);
            return EXIT_COMPLETED;
        }
        if (a.input != null && !a.command.equals("run") && !a.command.equals("submit")) {
            throw new UsageException("--input is only for 'run' and 'submit'");
        }
        if (a.version != null && !a.command.equals("run") && !a.command.equals("submit")
                && !(a.command.equals("recipes") && a.operands.size() > 0 && a.operands.get(0).equals("show"))) {
            throw new UsageException("--version is only for 'run', 'submit' and 'recipes show'");
        }
        a.checkOptionsBelong();
        return switch (a.command) {
            case "run" -> {
                a.expectOperands(1, "run RECIPE [--version N] [--input JSON|@FILE]");
                JsonNode input = parseInput(a.input);
                try (Session s = open(a.db, true)) {
                    Job job;
                    try {
                        // Validates the input against the recipe's input schema before anything is written.
                        job = s.engine.createJob(a.operands.get(0), a.version, input);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--input is not valid for recipe '" + a.operands.get(0) + "': " + e.getMessage());
                    }
                    out.println(job.id());
                    out.flush();
                    yield finished(s, s.engine.run(job.id()));
                }
            }
            case "submit" -> submit(a);
            case "worker" -> worker(a, stop);
            case "dashboard" -> dashboard(a, stop);
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
            case "recipes" -> recipes(a);
            case "config" -> config(a);
            default -> throw new UsageException("unknown command '" + a.command + "'; commands: " + COMMANDS
                    + " (--help for usage)");
        };
    }

    private static final String SUBMIT_USAGE =
            "submit RECIPE [--version N] --input JSON|@FILE [--priority N] [--run-at ISO-INSTANT|+DURATION] [--key KEY]";
    private static final String WORKER_USAGE =
            "worker [--workers N] [--poll MS] [--grace SECONDS] [--limit SLUG=N ...] [--exit-when-idle] [--dashboard [--port N] [--bind ADDR] [--token T]]";
    private static final String DASHBOARD_USAGE = "dashboard [--port N] [--bind ADDR] [--token T]";
    /** {@code +30s}: a run-at relative to now. */
    private static final Pattern RELATIVE = Pattern.compile("\\+(\\d{1,9})(ms|s|m|h|d)");

    private int submit(Args a) {
        a.expectOperands(1, SUBMIT_USAGE);
        if (a.input == null) {
            throw new UsageException("--input is required; usage: stepwise [--db PATH] " + SUBMIT_USAGE);
        }
        String slug = a.operands.get(0);
        JsonNode input = parseInput(a.input);
        Instant runAt = a.runAt == null ? null : parseRunAt(a.runAt, Instant.now());
        SubmitOptions options = SubmitOptions.defaults().withRecipeVersion(a.version).withRunAt(runAt)
                .withPriority(a.priority == null ? 0 : a.priority).withIdempotencyKey(a.key);
        AtomicBoolean existing = new AtomicBoolean();
        try (Session s = open(a.db, true, store -> noticingExisting(store, existing), store -> RunListener.NONE)) {
            Job job;
            try {
                // Validates the input against the recipe's input schema before anything is written.
                job = s.engine.submit(slug, input, options);
            } catch (IllegalArgumentException e) {
                throw new UsageException("cannot submit to recipe '" + slug + "': " + e.getMessage());
            }
            out.println(job.id());
            if (existing.get()) {
                boolean same = job.recipeSlug().equals(slug) && job.input().equals(input);
                err.println("note: idempotency key '" + a.key + "' was used before: job " + job.id() + " (" + job.recipeId()
                        + ", " + job.status() + ") already exists, nothing new was submitted"
                        + (same ? "" : "; its recipe or input differs from this submit"));
            }
            return EXIT_COMPLETED;
        }
    }

    /**
     * A store that notes whether {@code insertJob} returned an existing job (same idempotency key)
     * instead of the one it was given: the engine's {@code submit} returns either the same way.
     */
    private static JobStore noticingExisting(JobStore store, AtomicBoolean existing) {
        return (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("insertJob") && result instanceof Job stored && args[0] instanceof Job given) {
                        existing.set(!stored.id().equals(given.id()));
                    }
                    return result;
                });
    }

    /** Parses {@code --run-at}: an ISO-8601 instant or date-time with offset, or {@code +N} ms/s/m/h/d from now. */
    static Instant parseRunAt(String raw, Instant now) {
        Matcher m = RELATIVE.matcher(raw.strip());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return now.plus(d);
        }
        try {
            return Instant.parse(raw.strip());
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(raw.strip()).toInstant();
            } catch (DateTimeParseException e2) {
                throw new UsageException("--run-at must be an ISO-8601 instant like 2030-01-01T09:00:00Z or +DURATION"
                        + " like +30s, +5m, +2h, +1d, +500ms; was '" + raw + "'");
            }
        }
    }

    /**
     * Runs workers until {@code stop} is requested, the thread is interrupted or (with
     * {@code --exit-when-idle}) no job is running or runnable now; then closes the engine, which
     * lets running steps finish within the grace period and hands unfinished jobs back.
     */
    private int worker(Args a, StopSignal stop) {
        a.expectOperands(0, WORKER_USAGE);
        WorkerOptions options = WorkerOptions.defaults()
                .withCount(a.workers == null ? WorkerOptions.DEFAULT_COUNT : a.workers)
                .withPollInterval(a.pollMs == null ? WorkerOptions.DEFAULT_POLL_INTERVAL : Duration.ofMillis(a.pollMs))
                .withShutdownGrace(a.graceSeconds == null ? WorkerOptions.DEFAULT_SHUTDOWN_GRACE : Duration.ofSeconds(a.graceSeconds))
                .withRecipeLimits(a.limits);
        // One line per job this process ran to an end. The listener runs on the runner's thread
        // right after the job's terminal write; a hand-back (retry backoff, shutdown) ends pending
        // and prints nothing.
        Function<JobStore, RunListener> printer = store -> new RunListener() {
            @Override
            public void afterCommit(String jobId, boolean terminal) {
                if (!terminal) {
                    return;
                }
                try {
                    store.findJob(jobId).filter(j -> j.status().isTerminal()).ifPresent(j -> {
                        synchronized (out) {
                            out.println(j.id() + " " + j.status());
                            out.flush();
                        }
                    });
                } catch (RuntimeException e) {
                    err.println("warning: cannot read the status of job " + jobId + ": " + firstLine(e.getMessage()));
                }
            }
        };
        AtomicInteger exit = new AtomicInteger(EXIT_COMPLETED);
        stop.attach(options.shutdownGrace(), exit, out, err);
        Session s = null;
        Dashboard dashboard = null;
        boolean closed = false;
        try {
            s = open(a.db, true, UnaryOperator.identity(), printer);
            Workers workers = s.engine.startWorkers(options);
            if (a.dashboard) {
                dashboard = startDashboard(a, s.engine);
            }
            err.println("worker: " + options.count() + (options.count() == 1 ? " worker" : " workers") + " on "
                    + a.db.toAbsolutePath().normalize() + " (poll " + options.pollInterval().toMillis() + " ms, grace "
                    + options.shutdownGrace().toSeconds() + " s" + (options.recipeLimits().isEmpty() ? "" : ", limits " + options.recipeLimits())
                    + "); " + (a.exitWhenIdle ? "exits when idle" : "stop with Ctrl-C"));
            err.flush();
            boolean interrupted = false;
            try {
                while (!stop.await(options.pollInterval().toMillis())) {
                    if (a.exitWhenIdle && idle(s.engine)) {
                        err.println("worker: idle (no job running or runnable now), stopping");
                        break;
                    }
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (stop.requested() || interrupted) {
                err.println("worker: stopping; running steps get up to " + options.shutdownGrace().toSeconds()
                        + " s to finish, unfinished jobs are handed back");
            }
            err.flush();
            // Session.close -> engine.close -> Workers.close: graceful. Clear the interrupt first, or
            // the close would not wait for the running steps.
            try {
                closed = true;
                if (dashboard != null) {
                    dashboard.close();
                }
                s.close();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            err.println("worker: stopped after " + workers.jobsRun() + " jobs");
            return EXIT_COMPLETED;
        } catch (RuntimeException e) {
            exit.set(EXIT_FAILED);
            throw e;
        } finally {
            if (dashboard != null && !closed) {
                dashboard.close();
            }
            if (s != null && !closed) {
                s.close();
            }
            out.flush();
            err.flush();
            stop.detach();
        }
    }

    /**
     * Serves the dashboard on the database until {@code stop} is requested (Ctrl-C, SIGTERM) or
     * the thread is interrupted. Jobs created or retried on the page are run by workers
     * ({@code worker}, or {@code worker --dashboard} for both in one process).
     */
    private int dashboard(Args a, StopSignal stop) {
        a.expectOperands(0, DASHBOARD_USAGE);
        AtomicInteger exit = new AtomicInteger(EXIT_COMPLETED);
        stop.attach(Duration.ZERO, exit, out, err);
        try (Session s = open(a.db, true); Dashboard dashboard = startDashboard(a, s.engine)) {
            err.println("dashboard: stop with Ctrl-C; jobs created or retried there run on a worker ('worker', or 'worker --dashboard')");
            err.flush();
            try {
                while (!stop.await(500)) {
                    // serving on the dashboard's own threads
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.println("dashboard: stopped");
            return EXIT_COMPLETED;
        } catch (RuntimeException e) {
            exit.set(EXIT_FAILED);
            throw e;
        } finally {
            out.flush();
            err.flush();
            stop.detach();
        }
    }

    /** Starts the dashboard of {@code --port}, {@code --bind}, {@code --token}; prints its address on stdout. */
    private Dashboard startDashboard(Args a, JobEngine engine) {
        Dashboard.Builder b = Dashboard.builder(engine).port(a.port == null ? Dashboard.DEFAULT_PORT : a.port);
        if (a.bind != null) {
            b.bindAddress(a.bind);
        }
        if (a.token != null) {
            b.token(a.token);
        }
        Dashboard dashboard;
        try {
            dashboard = b.build().start();
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UsageException(e.getMessage());
        }
        out.println("dashboard: " + dashboard.uri());
        out.flush();
        return dashboard;
    }

    /** Idle: no job is running (here or in another process) and no pending job is runnable now. */
    private static boolean idle(JobEngine engine) {
        int limit = 10_000;
        List<Job> active = engine.jobs(new JobQuery(EnumSet.of(JobStatus.PENDING, JobStatus.RUNNING), limit));
        Instant now = Instant.now();
        // A full page may hide runnable jobs behind future ones: not idle then.
        return active.size() < limit && active.stream().noneMatch(j -> j.status() == JobStatus.RUNNING || !j.runAt().isAfter(now));
    }

    private int recipes(Args a) {
        String sub = a.operands.isEmpty() ? "" : a.operands.get(0);
        switch (sub) {
            case "list" -> {
                a.expectOperands(1, "recipes list");
                try (Session s = open(a.db, true)) {
                    List<Recipe> recipes = s.engine.recipes();
                    out.printf("%-20s  %7s  %s%n", "RECIPE", "VERSION", "STEPS");
                    for (Recipe r : recipes) {
                        out.printf("%-20s  %7d  %s%n", r.slug(), r.version(),
                                String.join(" -> ", r.steps().stream().map(StepDefinition::key).toList()));
                    }
                    return EXIT_COMPLETED;
                }
            }
            case "show" -> {
                a.expectOperands(2, "recipes show SLUG [--version N]");
                try (Session s = open(a.db, true)) {
                    Recipe r = s.engine.recipe(a.operands.get(1), a.version);
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.toJson()));
                    return EXIT_COMPLETED;
                }
            }
            case "publish" -> {
                a.expectOperands(2, "recipes publish FILE");
                JsonNode doc = parseJson("@" + a.operands.get(1), "recipe file");
                try (Session s = open(a.db, true)) {
                    String slug = doc.path("slug").isString() ? doc.get("slug").asString() : null;
                    int before = slug == null ? 0 : s.engine.recipeVersions(slug).size();
                    Recipe r = s.engine.publishRecipe(doc);
                    out.println((r.version() > before ? "published " : "unchanged: ") + r.slug() + " version " + r.version());
                    return EXIT_COMPLETED;
                }
            }
            default -> throw new UsageException((sub.isEmpty() ? "missing subcommand" : "unknown subcommand 'recipes " + sub + "'")
                    + "; usage: stepwise [--db PATH] recipes list | recipes show SLUG [--version N] | recipes publish FILE");
        }
    }

    private int config(Args a) {
        String sub = a.operands.isEmpty() ? "" : a.operands.get(0);
        switch (sub) {
            case "list" -> {
                a.expectOperands(1, "config list");
                try (Session s = open(a.db, true)) {
                    out.printf("%-8s  %-24s  %7s  %s%n", "KIND", "KEY", "VERSION", "PUBLISHED");
                    for (DocumentKind kind : CONFIG_KINDS) {
                        for (VersionedDocument d : s.engine.configs(kind)) {
                            out.printf("%-8s  %-24s  %7d  %s%n", kind, d.key(), d.version(), d.createdAt());
                        }
                    }
                    return EXIT_COMPLETED;
                }
            }
            case "set" -> {
                a.expectOperands(4, "config set KIND KEY JSON|@FILE");
                DocumentKind kind;
                try {
                    kind = DocumentKind.fromValue(a.operands.get(1));
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                if (!kind.isConfig()) {
                    throw new UsageException("KIND must be prompt, preset or provider; publish recipes with 'recipes publish FILE'");
                }
                String key = a.operands.get(2);
                JsonNode value = parseJson(a.operands.get(3), "config value");
                try (Session s = open(a.db, true)) {
                    int before = s.engine.config(kind, key, null).map(VersionedDocument::version).orElse(0);
                    VersionedDocument d;
                    try {
                        d = s.engine.putConfig(kind, key, value);
                    } catch (InvalidRecipeException e) {
                        throw new UsageException("config " + kind + " '" + key + "' is invalid: " + String.join("; ", e.problems()));
                    }
                    out.println((d.version() > before ? "set " : "unchanged: ") + kind + " " + key + " version " + d.version());
                    return EXIT_COMPLETED;
                }
            }
            default -> throw new UsageException((sub.isEmpty() ? "missing subcommand" : "unknown subcommand 'config " + sub + "'")
                    + "; usage: stepwise [--db PATH] config list | config set KIND KEY JSON|@FILE");
        }
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
        JsonNode node = parseJson(raw, "--input");
        if (!node.isObject()) {
            throw new UsageException((raw.startsWith("@") ? "--input file " + raw.substring(1) : "--input")
                    + " must be a JSON object, was " + node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return node;
    }

    /** Parses JSON given inline or, as {@code @FILE}, in a file; {@code name} names it in errors. */
    private static JsonNode parseJson(String raw, String name) {
        String text = raw;
        String what = name;
        if (raw.startsWith("@")) {
            Path file;
            try {
                file = Path.of(raw.substring(1));
            } catch (InvalidPathException e) {
                throw new UsageException(name + " name '" + raw.substring(1) + "' is not a valid path");
            }
            what = (name.equals("--input") ? "--input file " : name + " ") + file;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new UsageException(what + " does not exist");
            } catch (IOException e) {
                throw new UsageException(what + " cannot be read: " + e);
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
            throw new UsageException(what + " is empty; give a JSON " + (name.equals("--input")
                    ? "object, e.g. {\"file\": \"README.md\"}" : "value"));
        }
        return node;
    }

    private Session open(Path db, boolean create) {
        return open(db, create, UnaryOperator.identity(), store -> RunListener.NONE);
    }

    /**
     * @param wrap     wraps the store the engine uses (the session closes the real one)
     * @param listener the engine's run listener, given the store the engine uses
     */
    private Session open(Path db, boolean create, UnaryOperator<JobStore> wrap, Function<JobStore, RunListener> listener) {
        if (!create && !Files.exists(db)) {
            throw new UsageException("no database at " + db.toAbsolutePath() + "; run a job first or pass --db PATH");
        }
        Path dir = db.toAbsolutePath().getParent();
        SqliteJobStore store = SqliteJobStore.builder(db).build();
        try {
            JobStore used = wrap.apply(store);
            JobEngine.Builder b = JobEngine.builder(used)
                    .listener(listener.apply(used))
                    .manifestWriter(new FileManifestWriter(dir.resolve(MANIFEST_DIR)))
                    // Only 'resume' recovers orphaned jobs, so that reading commands never change a job
                    // (they may seed a bundled recipe or prompt the database does not hold yet).
                    .recoverOnStart(false);
            WordCount.registerSteps(b, dir.resolve(REPORT_DIR));
            Greeting.registerSteps(b);
            // The bundled recipes and prompt, unless the database already holds their content.
            JobEngine engine = Catalog.seed(b).build();
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
        Integer version;
        Integer priority;
        String runAt;
        String key;
        Integer workers;
        Long pollMs;
        Long graceSeconds;
        final Map<String, Integer> limits = new LinkedHashMap<>();
        boolean exitWhenIdle;
        boolean dashboard;
        Integer port;
        String bind;
        String token;
        boolean help;
        final List<String> operands = new ArrayList<>();
        /** Options given, for {@link #checkOptionsBelong()}. */
        final List<String> given = new ArrayList<>();

        private static final List<String> VALUED = List.of("--db", "--input", "--version", "--priority", "--run-at", "--key",
                "--workers", "--poll", "--grace", "--limit", "--port", "--bind", "--token");
        private static final List<String> SUBMIT_ONLY = List.of("--priority", "--run-at", "--key");
        private static final List<String> WORKER_ONLY = List.of("--workers", "--poll", "--grace", "--limit", "--exit-when-idle",
                "--dashboard");
        private static final List<String> DASHBOARD_ONLY = List.of("--port", "--bind", "--token");

        static Args parse(String[] argv) {
            Args a = new Args();
            for (int i = 0; i < argv.length; i++) {
                String arg = argv[i];
                int eq = arg.indexOf('=');
                if (VALUED.contains(arg)) {
                    if (i + 1 >= argv.length) {
                        throw new UsageException(arg + " needs a value");
                    }
                    a.option(arg, argv[++i]);
                } else if (arg.startsWith("--") && eq > 0 && VALUED.contains(arg.substring(0, eq))) {
                    a.option(arg.substring(0, eq), arg.substring(eq + 1));
                } else if (arg.equals("--exit-when-idle")) {
                    a.given.add(arg);
                    a.exitWhenIdle = true;
                } else if (arg.equals("--dashboard")) {
                    a.given.add(arg);
                    a.dashboard = true;
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
            return a;
        }

        private void option(String name, String value) {
            if ((SUBMIT_ONLY.contains(name) || WORKER_ONLY.contains(name) || DASHBOARD_ONLY.contains(name))
                    && !name.equals("--limit") && given.contains(name)) {
                throw new UsageException(name + " given twice");
            }
            given.add(name);
            switch (name) {
                case "--priority" -> {
                    priority = (int) number(name, value, Integer.MIN_VALUE, Integer.MAX_VALUE, "a whole number (higher runs first)");
                    return;
                }
                case "--run-at" -> {
                    runAt = value;
                    return;
                }
                case "--key" -> {
                    if (value.isBlank() || value.length() > 200) {
                        throw new UsageException("--key must be 1-200 characters, not blank");
                    }
                    key = value;
                    return;
                }
                case "--port" -> {
                    port = (int) number(name, value, 0, 65_535, "a port from 0 to 65535 (0 = any free port)");
                    return;
                }
                case "--bind" -> {
                    if (value.isBlank()) {
                        throw new UsageException("--bind needs an address, e.g. 127.0.0.1");
                    }
                    bind = value.strip();
                    return;
                }
                case "--token" -> {
                    token = value;
                    return;
                }
                case "--workers" -> {
                    workers = (int) number(name, value, 1, 1024, "a whole number from 1 to 1024");
                    return;
                }
                case "--poll" -> {
                    pollMs = number(name, value, 1, 3_600_000, "milliseconds from 1 to 3600000");
                    return;
                }
                case "--grace" -> {
                    graceSeconds = number(name, value, 0, 86_400, "seconds from 0 to 86400");
                    return;
                }
                case "--limit" -> {
                    int eq = value.lastIndexOf('=');
                    String slug = eq < 0 ? "" : value.substring(0, eq).strip();
                    if (slug.isEmpty()) {
                        throw new UsageException("--limit must be SLUG=N, e.g. --limit wordcount=1; was '" + value + "'");
                    }
                    int n = (int) number("--limit " + slug, value.substring(eq + 1).strip(), 1, 1024, "a whole number from 1 to 1024");
                    if (limits.put(slug, n) != null) {
                        throw new UsageException("--limit given twice for recipe '" + slug + "'");
                    }
                    return;
                }
                default -> {
                }
            }
            if (name.equals("--db")) {
                if (value.isBlank()) {
                    throw new UsageException("--db needs a file path");
                }
                try {
                    db = Path.of(value);
                } catch (InvalidPathException e) {
                    throw new UsageException("--db '" + value + "' is not a valid path");
                }
            } else if (name.equals("--version")) {
                if (version != null) {
                    throw new UsageException("--version given twice");
                }
                try {
                    version = Integer.valueOf(value);
                } catch (NumberFormatException e) {
                    version = -1;
                }
                if (version < 1) {
                    throw new UsageException("--version must be a whole number >= 1, was '" + value + "'");
                }
            } else {
                if (input != null) {
                    throw new UsageException("--input given twice");
                }
                input = value;
            }
        }

        private static long number(String name, String value, long min, long max, String what) {
            long n;
            try {
                n = Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                throw new UsageException(name + " must be " + what + ", was '" + value + "'");
            }
            if (n < min || n > max) {
                throw new UsageException(name + " must be " + what + ", was '" + value + "'");
            }
            return n;
        }

        /** Rejects submit-only and worker-only options on other commands. */
        void checkOptionsBelong() {
            for (String o : given) {
                if (SUBMIT_ONLY.contains(o) && !"submit".equals(command)) {
                    throw new UsageException(o + " is only for 'submit'");
                }
                if (WORKER_ONLY.contains(o) && !"worker".equals(command)) {
                    throw new UsageException(o + " is only for 'worker'");
                }
                if (DASHBOARD_ONLY.contains(o) && !"dashboard".equals(command) && !("worker".equals(command) && dashboard)) {
                    throw new UsageException(o + " is only for 'dashboard' and 'worker --dashboard'");
                }
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
