package dev.stepwise.engine.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * CPU time, a steadier measure than wall time on a machine whose disk makes every commit's
 * flush vary: this JVM's, and all local PostgreSQL processes' (Linux {@code /proc}; exited
 * backends count through the postmaster's children times). Used by {@link PgBench} to say
 * where a job's time goes; wall time remains the figure the targets are about.
 */
final class CpuTime {
    /** {@code /proc} counts in clock ticks; USER_HZ is 100 on Linux. */
    private static final long MS_PER_TICK = 10;

    private CpuTime() {
    }

    /** @return CPU time this JVM has used, in ms */
    static long jvmMillis() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1_000_000;
    }

    /**
     * @return CPU time used by the processes named {@code postgres} on this machine, their reaped
     *         children included, in ms; empty where {@code /proc} is missing or shows none
     *         (PostgreSQL on another machine)
     */
    static OptionalLong postgresMillis() {
        long ticks = 0;
        boolean found = false;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the process ended while we looked
                }
                if (!stat.contains("(postgres)")) {
                    continue;
                }
                // After "(comm) ": state, ppid, ..., utime (12th), stime, cutime, cstime.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
                found = true;
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return found ? OptionalLong.of(ticks * MS_PER_TICK) : OptionalLong.empty();
    }
}
