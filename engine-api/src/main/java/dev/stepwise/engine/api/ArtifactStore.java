package dev.stepwise.engine.api;

import java.io.InputStream;

/**
 * Where steps keep files too big for a JSON row (a script, an audio track), by content: the same
 * bytes stored twice are one artifact. A step reaches it through {@link StepContext#artifacts()}
 * and puts the returned {@link ArtifactRef#toJson()} in its output.
 *
 * <p>Implementations must make a put atomic (a crash leaves the whole artifact or nothing under
 * its final name) and must never hand out bytes that do not match the hash.
 */
public interface ArtifactStore {
    /**
     * Stores bytes.
     *
     * @param bytes     the content
     * @param mediaType its media type
     * @return its reference
     * @throws ArtifactException if it cannot be stored
     */
    ArtifactRef put(byte[] bytes, String mediaType);

    /**
     * Stores a stream's content (read to its end; not closed).
     *
     * @param content   the content
     * @param mediaType its media type
     * @return its reference
     * @throws ArtifactException if it cannot be stored
     */
    ArtifactRef put(InputStream content, String mediaType);

    /**
     * Opens an artifact for reading. The stream checks the bytes against the hash as they are
     * read and throws {@link ArtifactException} (with {@link ArtifactException.Problem#CORRUPT})
     * before it reports the end of a stream whose bytes do not match.
     *
     * @param ref the artifact
     * @return its content
     * @throws ArtifactException if it does not exist ({@link ArtifactException.Problem#MISSING})
     */
    InputStream open(ArtifactRef ref);

    /**
     * @param ref the artifact
     * @return its whole content, checked against the hash
     * @throws ArtifactException if it is missing or corrupt
     */
    byte[] read(ArtifactRef ref);

    /**
     * @param ref the artifact
     * @return whether a file with that hash and size exists (its content is not read)
     */
    boolean exists(ArtifactRef ref);

    /**
     * Reads the whole artifact and checks size and hash.
     *
     * @param ref the artifact
     * @return whether it exists and its bytes match
     */
    boolean isIntact(ArtifactRef ref);

    /**
     * Deletes artifacts nothing refers to: every one whose hash is not in {@code referenced} and
     * whose file was last written before {@code writtenBefore} (the grace period protects an
     * artifact a running step has put but not yet recorded), and abandoned temporary files as old.
     *
     * @param referenced    SHA-256 (hex) of every artifact some step row refers to
     * @param writtenBefore only older files are deleted
     * @return what was deleted
     * @throws ArtifactException if the store cannot be listed
     */
    Collected deleteUnreferenced(java.util.Set<String> referenced, java.time.Instant writtenBefore);

    /**
     * What a collection deleted.
     *
     * @param artifacts artifacts deleted
     * @param bytes     their bytes
     * @param tempFiles abandoned temporary files deleted
     */
    record Collected(int artifacts, long bytes, int tempFiles) {
    }
}
