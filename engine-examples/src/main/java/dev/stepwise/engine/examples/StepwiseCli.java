package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.postgres.PostgresJobStore;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The example host app: a command line over a {@link JobEngine} backed by a
 * {@link SqliteJobStore} file (or, with {@code --db postgresql://...}, a {@link PostgresJobStore}). Recipes and config live in the database, versioned; the bundled
 * ones ({@code wordcount}, {@code greeting} and its prompt) are seeded at start-up by
 * {@link Catalog}.
 *
 * <pre>
 * stepwise [--db PATH] [--artifacts DIR] run RECIPE [--version N] [--input JSON|@FILE]
 * stepwise [--db PATH] submit RECIPE [--version N] --input JSON|@FILE [--priority N] [--run-at ISO-INSTANT|+DURATION] [--key KEY]
 * stepwise [--db PATH] worker [--workers N] [--poll MS] [--grace SECONDS] [--limit SLUG=N ...] [--exit-when-idle]
 *                               [--dashboard [--port N] [--bind ADDR] [--token T]]
 * stepwise [--db PATH] dashboard [--port N] [--bind ADDR] [--token T]
 * stepwise [--db PATH] list | status JOB | logs JOB | manifest JOB | cancel JOB | retry JOB | resume JOB
 * stepwise [--db PATH] recipes list | recipes show SLUG [--version N] | recipes publish FILE
 * stepwise [--db PATH] config list | config set KIND KEY JSON|@FILE
 * stepwise [--db PATH] artifacts gc [--older-than DURATION] | artifact JOB STEP [--out FILE] [--index N]
 * </pre>
 *
 * <p>One class per command group ({@link JobCommands}, {@link WorkerCommand},
 * {@link RecipeCommands}, {@link ConfigCommands}, {@link ArtifactCommands}) and one for the command line
 * ({@link CliArgs}); this class reads the time only through the {@link Clock} it hands down.
 *
 * <p>Exit codes: {@value #EXIT_COMPLETED} completed (or the command succeeded),
 * {@value #EXIT_FAILED} the job failed (or is busy elsewhere, or an artifact is missing or corrupt), {@value #EXIT_USAGE} bad usage or
 * input, {@value #EXIT_CANCELLED} the job was cancelled. Errors are one line on stderr,
 * starting with {@code error:}.
 */
public final class StepwiseCli {
    /** The job completed, or a command that runs no job succeeded. */
    public static final int EXIT_COMPLETED = 0;
    /** The job failed, its lease is held by a live runner, an artifact is missing or corrupt, or the store failed. */
    public static final int EXIT_FAILED = 1;
    /** Bad usage or bad input: unknown command, recipe or job, bad JSON, missing file. */
    public static final int EXIT_USAGE = 2;
    /** The job ended cancelled. */
    public static final int EXIT_CANCELLED = 3;

    /** Database used when {@code --db} is not given. */
    public static final Path DEFAULT_DB = Path.of("stepwise.db");
    /** Folder (next to the database) that receives one {@code <jobId>/manifest.json} per job. */
    public static final String MANIFEST_DIR = "stepwise-manifests";
    /**
     * Folder (in the working directory) of the artifacts with a PostgreSQL {@code --db} and no
     * {@code --artifacts}: every CLI process started in one folder finds them (with workers on
     * several machines, give {@code --artifacts} a folder they share).
     */
    public static final String PG_ARTIFACT_DIR = "stepwise-artifacts";
    /** Folder (next to the database) that receives wordcount reports when the input has no {@code out}. */
    public static final String REPORT_DIR = "stepwise-reports";

    static final String USAGE = """
            usage: stepwise [--db PATH] [--artifacts DIR] COMMAND [ARGS]
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
              config set KIND KEY JSON|@FILE   set a prompt, preset, provider or voice (the next version; no-op if unchanged)
              artifacts gc [--older-than DURATION]
                                               delete artifacts no step refers to and abandoned temporary files,
                                               written more than DURATION ago (default 24h; 30s, 5m, 2h, 1d)
              artifact JOB STEP [--out FILE] [--index N]
                                               copy the N-th (default 0) artifact of a step's output to FILE, or
                                               its raw bytes to stdout; the bytes are checked against the hash
            options:
              --db PATH                        the SQLite database (default ./stepwise.db); manifests go to
                                               stepwise-manifests/ and reports to stepwise-reports/ beside it,
                                               artifacts to <db file>-artifacts/
              --db postgresql://USER@HOST:PORT/DB  a PostgreSQL database instead (or a jdbc:postgresql: URL),
                                               shared by workers on several machines; manifests, reports and
                                               artifacts (stepwise-artifacts/) go to the working directory
              --artifacts DIR                  keep artifacts in DIR instead (with workers on several
                                               machines: a folder they all mount)
            exit codes: 0 completed, 1 failed, 2 bad usage or input, 3 cancelled""";

    private static final String COMMANDS = "run, submit, worker, dashboard, list, status, logs, manifest, cancel, retry, resume, recipes, config, artifacts, artifact";

    private StepwiseCli() {
    }

    /**
     * Runs the CLI and exits the JVM with its exit code. The only place that picks the clock.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, new CliContext(System.out, System.err, Clock.systemUTC(), StopSignal.onShutdown())));
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
        return run(args, new CliContext(out, err, Clock.systemUTC(), new StopSignal(false)));
    }

    /**
     * Runs one command with the given streams, clock and stop signal; {@code worker} stops
     * gracefully when the signal is requested (or its thread is interrupted).
     */
    static int run(String[] args, CliContext ctx) {
        try {
            return dispatch(CliArgs.parse(args), ctx);
        } catch (UsageException e) {
            return error(ctx.err(), EXIT_USAGE, e.getMessage());
        } catch (UnknownJobException | UnknownRecipeException | UnknownStepTypeException | IllegalTransitionException
                | InvalidInputException | InvalidRecipeException e) {
            return error(ctx.err(), EXIT_USAGE, e.getMessage());
        } catch (JobBusyException e) {
            return error(ctx.err(), EXIT_FAILED, e.getMessage());
        } catch (EngineException e) {
            return error(ctx.err(), EXIT_FAILED, e.getMessage() + causeOf(e));
        } catch (RuntimeException e) {
            return error(ctx.err(), EXIT_FAILED, "unexpected " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
        } finally {
            ctx.out().flush();
            ctx.err().flush();
        }
    }

    private static int dispatch(CliArgs a, CliContext ctx) {
        if (a.help || a.command == null || a.command.equals("help")) {
            if (a.help || "help".equals(a.command)) {
                ctx.out().println(USAGE);
                return EXIT_COMPLETED;
            }
            throw new UsageException("no command given; commands: " + COMMANDS + " (--help for usage)");
        }
        a.checkOptionsBelong();
        Command group = switch (a.command) {
            case "run", "submit", "list", "status", "logs", "manifest", "cancel", "retry", "resume" -> new JobCommands(ctx);
            case "worker" -> new WorkerCommand(ctx);
            case "dashboard" -> new DashboardCommand(ctx);
            case "recipes" -> new RecipeCommands(ctx);
            case "config" -> new ConfigCommands(ctx);
            case "artifacts", "artifact" -> new ArtifactCommands(ctx);
            default -> throw new UsageException("unknown command '" + a.command + "'; commands: " + COMMANDS
                    + " (--help for usage)");
        };
        return group.run(a);
    }

    private static int error(PrintStream err, int code, String message) {
        err.println("error: " + firstLine(message));
        return code;
    }

    private static String causeOf(Throwable e) {
        Throwable c = e.getCause();
        return c == null || c.getMessage() == null || e.getMessage().contains(c.getMessage()) ? "" : " (" + firstLine(c.getMessage()) + ")";
    }

    /**
     * @param s a message, or null
     * @return its first line, stripped ({@code ""} for null)
     */
    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
