package dev.stepwise.engine.examples;

import static dev.stepwise.engine.examples.StepwiseCli.EXIT_COMPLETED;
import static dev.stepwise.engine.examples.StepwiseCli.EXIT_FAILED;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.dashboard.Dashboard;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The {@code worker} command: runs queued jobs until stopped ({@link CliContext#stop()}, the
 * thread's interrupt) or, with {@code --exit-when-idle}, until no job is running or runnable
 * now; prints {@code <job> <status>} for every job it ran to an end.
 */
final class WorkerCommand implements Command {
    private static final String WORKER_USAGE =
            "worker [--workers N] [--poll MS] [--grace SECONDS] [--limit SLUG=N ...] [--exit-when-idle]"
                    + " [--dashboard [--port N] [--bind ADDR] [--token T]] [--metrics-port N]";
    /** Most active jobs read to decide whether the queue is idle. */
    private static final int IDLE_CHECK_LIMIT = 10_000;

    private final CliContext ctx;
    private final PrintStream out;
    private final PrintStream err;

    WorkerCommand(CliContext ctx) {
        this.ctx = ctx;
        this.out = ctx.out();
        this.err = ctx.err();
    }

    /**
     * Runs workers until {@code stop} is requested, the thread is interrupted or (with
     * {@code --exit-when-idle}) no job is running or runnable now; then closes the engine, which
     * lets running steps finish within the grace period and hands unfinished jobs back.
     */
    @Override
    public int run(CliArgs a) {
        a.expectOperands(0, WORKER_USAGE);
        WorkerOptions options = WorkerOptions.defaults()
                .withCount(a.workers == null ? WorkerOptions.DEFAULT_COUNT : a.workers)
                .withPollInterval(a.pollMs == null ? WorkerOptions.DEFAULT_POLL_INTERVAL : Duration.ofMillis(a.pollMs))
                .withShutdownGrace(a.graceSeconds == null ? WorkerOptions.DEFAULT_SHUTDOWN_GRACE : Duration.ofSeconds(a.graceSeconds))
                .withRecipeLimits(a.limits);
        StopSignal stop = ctx.stop();
        AtomicInteger exit = new AtomicInteger(EXIT_COMPLETED);
        stop.attach(options.shutdownGrace(), exit, out, err);
        Session s = null;
        Dashboard dashboard = null;
        MetricsServer metrics = null;
        boolean closed = false;
        try {
            if (a.metricsPort != null) {
                metrics = MetricsServer.create(a.metricsPort);
            }
            s = Session.open(a.db, true, ctx.clock(), printer(), metrics == null ? List.of() : List.of(metrics.listener()));
            if (a.dashboard) {
                dashboard = DashboardCommand.start(a, s.engine(), ctx);
            }
            if (metrics != null) {
                out.println("metrics: " + metrics.uri());
                out.flush();
            }
            Workers workers = s.engine().startWorkers(options);
            err.println("worker: " + options.count() + (options.count() == 1 ? " worker" : " workers") + " on "
                    + a.db.describe() + " (poll " + options.pollInterval().toMillis() + " ms, grace "
                    + options.shutdownGrace().toSeconds() + " s" + (options.recipeLimits().isEmpty() ? "" : ", limits " + options.recipeLimits())
                    + "); " + (a.exitWhenIdle ? "exits when idle" : "stop with Ctrl-C"));
            err.flush();
            boolean interrupted = false;
            try {
                while (!stop.await(options.pollInterval().toMillis())) {
                    if (a.exitWhenIdle && idle(s.engine())) {
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
                if (metrics != null) {
                    metrics.close();
                }
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
            if (!closed) {
                if (dashboard != null) {
                    dashboard.close();
                }
                if (s != null) {
                    s.close();
                }
                if (metrics != null) {
                    metrics.close();
                }
            }
            out.flush();
            err.flush();
            stop.detach();
        }
    }

    /**
     * One line per job this process ran to an end. The listener runs on the runner's thread
     * right after the job's terminal write; a hand-back (retry backoff, shutdown) ends pending
     * and prints nothing.
     */
    private Function<JobStore, RunListener> printer() {
        return store -> new RunListener() {
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
                    err.println("warning: cannot read the status of job " + jobId + ": " + StepwiseCli.firstLine(e.getMessage()));
                }
            }
        };
    }

    /** Idle: no job is running (here or in another process) and no pending job is runnable now. */
    private boolean idle(JobEngine engine) {
        List<Job> active = engine.jobs(new JobQuery(EnumSet.of(JobStatus.PENDING, JobStatus.RUNNING), IDLE_CHECK_LIMIT));
        Instant now = ctx.clock().instant();
        // A full page may hide runnable jobs behind future ones: not idle then.
        return active.size() < IDLE_CHECK_LIMIT
                && active.stream().noneMatch(j -> j.status() == JobStatus.RUNNING || !j.runAt().isAfter(now));
    }
}
