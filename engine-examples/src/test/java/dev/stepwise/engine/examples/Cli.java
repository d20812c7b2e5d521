package dev.stepwise.engine.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs {@link StepwiseCli#run} in-process on one database and captures stdout, stderr and the exit code. */
final class Cli {
    private final String db;

    Cli(Path db) {
        this(db.toString());
    }

    /** @param db the {@code --db} value (a file path, or a PostgreSQL URL) */
    Cli(String db) {
        this.db = db;
    }

    Result run(String... args) {
        List<String> all = new ArrayList<>(List.of("--db", db));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = StepwiseCli.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, lines(out), lines(err), out.toByteArray());
    }

    private static List<String> lines(ByteArrayOutputStream bytes) {
        String s = bytes.toString(StandardCharsets.UTF_8);
        return s.isEmpty() ? List.of() : s.lines().toList();
    }

    /** What one command did; {@code stdoutBytes} is stdout as written (for raw output). */
    record Result(int code, List<String> out, List<String> err, byte[] stdoutBytes) {
        String stdout() {
            return String.join("\n", out);
        }

        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + String.join("\n", out) + "\nstderr:\n" + String.join("\n", err);
        }
    }
}
