package dev.stepwise.engine.examples;

import static dev.stepwise.engine.examples.StepwiseCli.EXIT_COMPLETED;
import static dev.stepwise.engine.examples.StepwiseCli.EXIT_FAILED;

import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.dashboard.Dashboard;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code dashboard} command: serves the web dashboard on the database until stopped
 * (Ctrl-C, SIGTERM, the thread's interrupt). Jobs created or retried on the page are run by
 * workers ({@code worker}, or {@code worker --dashboard} for both in one process).
 */
final class DashboardCommand implements Command {
    static final String USAGE = "dashboard [--port N] [--bind ADDR] [--token T]";

    private final CliContext ctx;

    DashboardCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public int run(CliArgs a) {
        a.expectOperands(0, USAGE);
        AtomicInteger exit = new AtomicInteger(EXIT_COMPLETED);
        StopSignal stop = ctx.stop();
        stop.attach(Duration.ZERO, exit, ctx.out(), ctx.err());
        try (Session s = Session.open(a.db, true, ctx.clock()); Dashboard dashboard = start(a, s.engine(), ctx)) {
            ctx.err().println("dashboard: stop with Ctrl-C; jobs created or retried there run on a worker"
                    + " ('worker', or 'worker --dashboard')");
            ctx.err().flush();
            try {
                while (!stop.await(500)) {
                    // serving on the dashboard's own threads
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ctx.err().println("dashboard: stopped");
            return EXIT_COMPLETED;
        } catch (RuntimeException e) {
            exit.set(EXIT_FAILED);
            throw e;
        } finally {
            ctx.out().flush();
            ctx.err().flush();
            stop.detach();
        }
    }

    /** Starts the dashboard of {@code --port}, {@code --bind}, {@code --token}; prints its address on stdout. */
    static Dashboard start(CliArgs a, JobEngine engine, CliContext ctx) {
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
        ctx.out().println("dashboard: " + dashboard.uri());
        ctx.out().flush();
        return dashboard;
    }
}
