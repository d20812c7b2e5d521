package dev.stepwise.engine.core.artifacts;

import dev.stepwise.engine.core.FileArtifactStore;
import java.nio.file.Path;
import java.util.Arrays;

/** Child JVM: puts 1 MiB and halts the VM after the temporary file is written, before its rename. */
public final class ArtifactCrashChild {
    private ArtifactCrashChild() {
    }

    /** @param args the artifact root */
    public static void main(String[] args) {
        byte[] bytes = new byte[1 << 20];
        Arrays.fill(bytes, (byte) 7);
        FileArtifactStore.withHookBeforeRename(Path.of(args[0]), () -> Runtime.getRuntime().halt(3)).put(bytes, "application/octet-stream");
        System.exit(0); // not reached: the hook halts first
    }
}
