package dev.stepwise.engine.sqlite.process;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts a test main class ({@link CrashChild} by default) in a child JVM with this test JVM's classpath. */
final class ChildProcess {
    /** The exit code of a child killed by {@link Process#destroyForcibly()} (SIGKILL). */
    static final int KILLED = 137;
    /**
     * How long a child may go without ending (or without the progress awaited): a hang guard
     * only. A child starts a JVM and runs a job of a few steps in a second or two on an idle
     * machine.
     */
    static final Duration HANG_GUARD = Duration.ofMinutes(3);

    private ChildProcess() {
    }

    /** Progress of a child, as seen from outside (a line in a file, a row in the database). */
    @FunctionalInterface
    interface Progress {
        /** @return whether the child got that far */
        boolean reached() throws IOException;
    }

    static Process start(Path log, String... args) throws IOException {
        return start(CrashChild.class, log, args);
    }

    static Process start(Class<?> main, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx128m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Starts a child and waits for it to end. @return its exit code */
    static int runToExit(Path log, String... args) throws Exception {
        return awaitExit(start(log, args), log);
    }

    /** Waits for a child to end (killing it after {@link #HANG_GUARD}). @return its exit code */
    static int awaitExit(Process child, Path log) throws InterruptedException {
        if (!child.waitFor(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS)) {
            child.destroyForcibly().waitFor();
            throw new AssertionError("child did not finish within the hang guard of " + HANG_GUARD + "; its log: " + log);
        }
        return child.exitValue();
    }

    /**
     * Waits until the child made the given progress or ended, whichever comes first.
     *
     * @return true if the progress was reached while the child still ran; false if it ended first
     */
    static boolean awaitProgress(Process child, Path log, Progress progress) throws IOException, InterruptedException {
        long guard = System.nanoTime() + HANG_GUARD.toNanos();
        while (!progress.reached()) {
            if (child.waitFor(2, TimeUnit.MILLISECONDS)) {
                return false;
            }
            if (System.nanoTime() - guard > 0) {
                throw new AssertionError("child made no progress within the hang guard of " + HANG_GUARD + "; its log: " + log);
            }
        }
        return child.isAlive();
    }
}
