package dev.stepwise.engine.postgres.process;

import java.nio.file.Files;
import java.nio.file.Path;

/** Lets several child JVMs start together, however long each took to start: a file each in a shared folder. */
final class FileBarrier {
    /** Looks at the folder before giving up: at 10 ms each, at least two minutes (a hang guard). */
    private static final int MAX_POLLS = 12_000;

    private FileBarrier() {
    }

    static void await(Path folder, int peers) throws Exception {
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
