package dev.stepwise.engine.postgres.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A child JVM running {@link PgChild} with this test JVM's classpath, its output in a log file. */
final class ChildJvm {
    /** A hang guard only: children run for seconds to a minute or two on an idle machine. */
    static final Duration HANG_GUARD = Duration.ofMinutes(8);

    final Process process;
    final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static ChildJvm start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx160m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-Dorg.slf4j.simpleLogger.log.dev.stepwise.engine.postgres=info");
        // As docs/postgres.md advises: HikariCP logs a WARN with a stack trace for every broken
        // connection it evicts; the store already logs one warning per outage.
        cmd.add("-Dorg.slf4j.simpleLogger.log.com.zaxxer.hikari=error");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PgChild.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ChildJvm(p, log);
    }

    /** @return the exit code, after waiting for the end (killing it after the hang guard) */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("child did not finish within the hang guard of " + HANG_GUARD + "; its log:\n" + tail());
        }
        return process.exitValue();
    }

    /** @return whether the child printed the line (exactly) so far */
    boolean printed(String line) {
        try {
            return Files.exists(log) && Files.readAllLines(log).contains(line);
        } catch (IOException e) {
            return false;
        }
    }

    /** @return the last lines of its log */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** @return every line of its log */
    List<String> lines() throws IOException {
        return Files.readAllLines(log);
    }

    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }
}
