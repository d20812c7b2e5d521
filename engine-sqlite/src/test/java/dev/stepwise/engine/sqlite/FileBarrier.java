package dev.stepwise.engine.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lets several test processes start a race together, however long each took to start its JVM:
 * each leaves a file in a shared folder, then waits until all have.
 */
public final class FileBarrier {
    /** Looks at the folder before giving up: at 10 ms each, at least two minutes (a hang guard). */
    private static final int MAX_POLLS = 12_000;

    private FileBarrier() {
    }

    /**
     * Marks this process ready, then returns once {@code peers} processes (this one included) are.
     *
     * @param folder the shared folder (created if missing)
     * @param peers  how many processes take part
     * @throws Exception if the folder cannot be used, or if the others never came
     */
    public static void await(Path folder, int peers) throws Exception {
        Files.createDirectories(folder);
        Files.createFile(folder.resolve("ready-" + ProcessHandle.current().pid()));
        for (int polls = 0; polls < MAX_POLLS; polls++) {
            try (var ready = Files.list(folder)) {
                if (ready.count() >= peers) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("only some of " + peers + " processes became ready in " + folder);
    }
}
