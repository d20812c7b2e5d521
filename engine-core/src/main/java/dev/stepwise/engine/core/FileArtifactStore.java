package dev.stepwise.engine.core;

import dev.stepwise.engine.api.ArtifactException;
import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Artifacts as files, by content: {@code <root>/sha256/ab/cd/<hash>}. A put streams into
 * {@code <root>/tmp/}, hashing as it writes, forces the file to disk, and renames it atomically to
 * its final name (then forces the directory), so a crash leaves the whole artifact or nothing under
 * its final name, and at most a temporary file that {@link #deleteUnreferenced} removes later. The
 * same bytes stored twice take one file. Reads check size and hash.
 */
public final class FileArtifactStore implements ArtifactStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileArtifactStore.class);
    private static final int BUFFER = 64 * 1024;

    private final Path root;
    private final Path tmp;
    private final Runnable beforeRename;

    private FileArtifactStore(Path root, Runnable beforeRename) {
        this.root = root.toAbsolutePath();
        this.tmp = this.root.resolve("tmp");
        this.beforeRename = beforeRename;
    }

    /**
     * @param root the directory (created when needed)
     * @return a store there
     */
    public static FileArtifactStore at(Path root) {
        return new FileArtifactStore(Objects.requireNonNull(root, "root"), () -> { });
    }

    /**
     * For crash tests: a store that runs {@code hook} after a put's temporary file is written and
     * forced, before it is renamed to its final name.
     *
     * @param root the directory
     * @param hook what to run at that point (e.g. halt the VM)
     * @return the store
     */
    public static FileArtifactStore withHookBeforeRename(Path root, Runnable hook) {
        return new FileArtifactStore(Objects.requireNonNull(root, "root"), Objects.requireNonNull(hook, "hook"));
    }

    /** @return the root directory */
    public Path root() {
        return root;
    }

    /**
     * @param ref an artifact
     * @return where its file is (or would be)
     */
    public Path pathOf(ArtifactRef ref) {
        String h = ref.sha256();
        return root.resolve("sha256").resolve(h.substring(0, 2)).resolve(h.substring(2, 4)).resolve(h);
    }

    @Override
    public ArtifactRef put(byte[] bytes, String mediaType) {
        return put(new ByteArrayInputStream(bytes), mediaType);
    }

    @Override
    public ArtifactRef put(InputStream content, String mediaType) {
        Objects.requireNonNull(content, "content");
        Path part = null;
        try {
            Files.createDirectories(tmp);
            part = tmp.resolve(UUID.randomUUID() + ".part");
            MessageDigest sha = sha256();
            long size = 0;
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = content.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                    size += n;
                }
                out.flush();
                ch.force(true);
            }
            ArtifactRef ref = new ArtifactRef(HexFormat.of().formatHex(sha.digest()), size, mediaType);
            Path target = pathOf(ref);
            // The same bytes stored twice take one file: the rename replaces it (and so also
            // repairs a damaged copy); a reader that has it open keeps reading the old one.
            Files.createDirectories(target.getParent());
            beforeRename.run();
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new ArtifactException(ref.id(), ArtifactException.Problem.IO, "the file system under " + root
                        + " cannot rename atomically; put the artifact root on a local file system", e);
            }
            forceDirectory(target.getParent());
            return ref;
        } catch (IOException e) {
            deleteQuietly(part);
            throw new ArtifactException("(new artifact)", ArtifactException.Problem.IO,
                    "cannot store an artifact under " + root + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(ArtifactRef ref) {
        Path file = pathOf(ref);
        try {
            return new Verifying(Files.newInputStream(file), ref);
        } catch (NoSuchFileException e) {
            throw missing(ref);
        } catch (IOException e) {
            throw new ArtifactException(ref.id(), ArtifactException.Problem.IO, "cannot read artifact " + ref.id() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public byte[] read(ArtifactRef ref) {
        try (InputStream in = open(ref)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ArtifactException(ref.id(), ArtifactException.Problem.IO, "cannot read artifact " + ref.id() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(ArtifactRef ref) {
        try {
            return Files.size(pathOf(ref)) == ref.bytes();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public boolean isIntact(ArtifactRef ref) {
        if (!exists(ref)) {
            return false;
        }
        try (InputStream in = open(ref)) {
            in.transferTo(OutputStream.nullOutputStream());
            return true;
        } catch (ArtifactException | IOException e) {
            return false;
        }
    }

    @Override
    public Collected deleteUnreferenced(Set<String> referenced, Instant writtenBefore) {
        int artifacts = 0;
        long bytes = 0;
        int temps = 0;
        try {
            for (Path f : files(root.resolve("sha256"))) {
                if (!referenced.contains(f.getFileName().toString()) && olderThan(f, writtenBefore)) {
                    long size = Files.size(f);
                    if (Files.deleteIfExists(f)) {
                        artifacts++;
                        bytes += size;
                    }
                }
            }
            for (Path f : files(tmp)) {
                if (olderThan(f, writtenBefore) && Files.deleteIfExists(f)) {
                    temps++;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new ArtifactException("(collection)", ArtifactException.Problem.IO, "cannot collect artifacts under "
                    + root + ": " + e.getMessage(), e);
        }
        LOG.info("artifacts under {}: deleted {} unreferenced ({} bytes) and {} temporary files written before {}", root,
                artifacts, bytes, temps, writtenBefore);
        return new Collected(artifacts, bytes, temps);
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private static boolean olderThan(Path f, Instant t) throws IOException {
        return Files.getLastModifiedTime(f).toInstant().isBefore(t);
    }

    private ArtifactException missing(ArtifactRef ref) {
        return new ArtifactException(ref.id(), ArtifactException.Problem.MISSING, "artifact " + ref.id() + " ("
                + ref.mediaType() + ", " + ref.bytes() + " bytes) is not in " + root + "; it was deleted or never stored here", null);
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot force directory {} (not supported on this platform): {}", dir, e.toString());
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", p, e.toString());
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Checks size and hash as the bytes go by; throws before reporting the end of bad content. */
    private final class Verifying extends FilterInputStream {
        private final ArtifactRef ref;
        private final MessageDigest sha = sha256();
        private long size;
        private boolean checked;

        Verifying(InputStream in, ArtifactRef ref) {
            super(in);
            this.ref = ref;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                check();
            } else {
                sha.update((byte) b);
                size++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0) {
                check();
            } else {
                sha.update(b, off, n);
                size += n;
                if (size > ref.bytes()) {
                    throw corrupt("it has more than the " + ref.bytes() + " bytes recorded");
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(n, 0))];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        private void check() {
            if (checked) {
                return;
            }
            checked = true;
            if (size != ref.bytes()) {
                throw corrupt("it has " + size + " bytes, " + ref.bytes() + " were recorded");
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(ref.sha256())) {
                throw corrupt("its content hashes to sha256:" + actual);
            }
        }

        private ArtifactException corrupt(String why) {
            return new ArtifactException(ref.id(), ArtifactException.Problem.CORRUPT, "artifact " + ref.id()
                    + " at " + pathOf(ref) + " is corrupt: " + why + "; it was changed or damaged on disk", null);
        }
    }
}
