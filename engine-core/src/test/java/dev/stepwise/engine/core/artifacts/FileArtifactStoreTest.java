package dev.stepwise.engine.core.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.ArtifactException;
import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.core.FileArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileArtifactStoreTest {
    @TempDir
    Path root;

    private List<Path> stored() throws Exception {
        Path dir = root.resolve("sha256");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void theSameBytesStoredTwiceTakeOneFileAtTheirContentAddress() throws Exception {
        FileArtifactStore store = FileArtifactStore.at(root);
        byte[] script = "INT. KITCHEN - NIGHT".getBytes(StandardCharsets.UTF_8);
        ArtifactRef first = store.put(script, "text/plain");
        ArtifactRef second = store.put(new ByteArrayInputStream(script), "text/plain");

        assertEquals(first, second);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(script));
        assertEquals(new ArtifactRef(sha, script.length, "text/plain"), first);
        assertEquals(List.of(root.resolve("sha256").resolve(sha.substring(0, 2)).resolve(sha.substring(2, 4)).resolve(sha)),
                stored());
        store.put("something else".getBytes(StandardCharsets.UTF_8), "text/plain");
        assertEquals(2, stored().size());
        assertEquals(List.of(), Files.list(root.resolve("tmp")).toList(), "no temporary file left behind");
    }

    @Test
    void aLargeStreamRoundTripsAndItsReferenceHasTheDocumentedJsonShape() {
        ArtifactStore store = FileArtifactStore.at(root);
        byte[] audio = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(audio);
        ArtifactRef ref = store.put(new ByteArrayInputStream(audio), "audio/wav");
        assertArrayEquals(audio, store.read(ref));
        assertTrue(store.exists(ref));
        assertTrue(store.isIntact(ref));
        assertEquals("sha256:" + ref.sha256(), ref.toJson().get("artifact").asString());
        assertEquals("audio/wav", ref.toJson().get("media_type").asString());
        assertEquals(audio.length, ref.toJson().get("bytes").asLong());
        assertEquals(ref, ArtifactRef.fromJson(ref.toJson()).orElseThrow());
    }

    @Test
    void aCorruptedFileIsDetectedOnReadNeverReturnedAsWrongBytes() throws Exception {
        FileArtifactStore store = FileArtifactStore.at(root);
        ArtifactRef ref = store.put("the real script".getBytes(StandardCharsets.UTF_8), "text/plain");
        Files.writeString(store.pathOf(ref), "the fake script"); // same length, other bytes

        assertTrue(store.exists(ref), "exists looks at the size only");
        assertFalse(store.isIntact(ref));
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.read(ref));
        assertEquals(ArtifactException.Problem.CORRUPT, e.problem());
        assertEquals(ref.id(), e.artifact());
        assertTrue(e.getMessage().contains("is corrupt") && e.getMessage().contains(ref.id()), e.getMessage());
        try (InputStream in = store.open(ref)) {
            byte[] buf = new byte[4];
            assertThrows(ArtifactException.class, () -> {
                while (in.read(buf) >= 0) {
                    // the stream throws before it reports the end of bad content
                }
            });
        }

        Files.writeString(store.pathOf(ref), "short");
        assertFalse(store.exists(ref));
        assertEquals(ArtifactException.Problem.CORRUPT, assertThrows(ArtifactException.class, () -> store.read(ref)).problem());

        ArtifactRef again = store.put("the real script".getBytes(StandardCharsets.UTF_8), "text/plain");
        assertEquals(ref, again);
        assertTrue(store.isIntact(ref), "putting the same bytes again repairs the damaged copy");
    }

    @Test
    void aMissingArtifactIsATypedError() {
        FileArtifactStore store = FileArtifactStore.at(root);
        ArtifactRef ghost = new ArtifactRef("a".repeat(64), 10, "audio/wav");
        assertFalse(store.exists(ghost));
        ArtifactException e = assertThrows(ArtifactException.class, () -> store.open(ghost));
        assertEquals(ArtifactException.Problem.MISSING, e.problem());
        assertTrue(e.getMessage().contains(ghost.id()) && e.getMessage().contains("is not in"), e.getMessage());
    }

    @Test
    void aCrashBetweenWriteAndRenameLeavesNoPartialArtifactAtItsFinalPath() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), ArtifactCrashChild.class.getName(), root.toString())
                .redirectErrorStream(true).redirectOutput(root.resolveSibling(root.getFileName() + "-child.log").toFile())
                .start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "hang guard"); // typically well under a second
        assertEquals(3, child.exitValue(), "the child halted at the hook, between write and rename");

        assertEquals(List.of(), stored(), "nothing under its final name");
        List<Path> temps = Files.list(root.resolve("tmp")).toList();
        assertEquals(1, temps.size(), "the whole temporary file is left behind, and only there");
        assertEquals(1 << 20, Files.size(temps.get(0)));

        FileArtifactStore store = FileArtifactStore.at(root);
        byte[] bytes = new byte[1 << 20];
        java.util.Arrays.fill(bytes, (byte) 7);
        ArtifactRef ref = store.put(bytes, "application/octet-stream");
        assertTrue(store.isIntact(ref), "the same put succeeds after the crash");
        ArtifactStore.Collected gc = store.deleteUnreferenced(Set.of(ref.sha256()), Instant.now().plusSeconds(60));
        assertEquals(new ArtifactStore.Collected(0, 0, 1), gc, "collection removes the abandoned temporary file");
        assertTrue(store.isIntact(ref));
    }

    @Test
    void collectionDeletesOnlyUnreferencedArtifactsOlderThanTheCutoff() throws Exception {
        FileArtifactStore store = FileArtifactStore.at(root);
        ArtifactRef kept = store.put(new byte[] {1}, "application/octet-stream");
        ArtifactRef oldGarbage = store.put(new byte[] {2, 2}, "application/octet-stream");
        ArtifactRef newGarbage = store.put(new byte[] {3, 3, 3}, "application/octet-stream");
        Instant cutoff = Instant.now().minusSeconds(3600);
        for (ArtifactRef old : List.of(kept, oldGarbage)) {
            Files.setLastModifiedTime(store.pathOf(old), FileTime.from(cutoff.minusSeconds(60)));
        }

        ArtifactStore.Collected gc = store.deleteUnreferenced(Set.of(kept.sha256()), cutoff);

        assertEquals(new ArtifactStore.Collected(1, 2, 0), gc);
        assertTrue(store.isIntact(kept), "referenced");
        assertFalse(store.exists(oldGarbage), "unreferenced and old");
        assertTrue(store.isIntact(newGarbage), "unreferenced but within the grace period (a running step may have put it)");
        assertNotEquals(kept, newGarbage);
    }
}
