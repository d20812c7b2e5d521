package dev.stepwise.engine.examples;

import java.io.PrintStream;
import java.time.Clock;
import java.util.Objects;

/**
 * What every command of the CLI is given: where results and errors go, the clock (picked once,
 * by the entry point) and the signal that stops a {@code worker}.
 *
 * @param out   where results go (job ids, tables, JSON)
 * @param err   where errors, notes and progress go
 * @param clock the time source for the engine, the store and relative {@code --run-at} values
 * @param stop  stops a running {@code worker} gracefully
 */
record CliContext(PrintStream out, PrintStream err, Clock clock, StopSignal stop) {
    CliContext {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(stop, "stop");
    }
}
