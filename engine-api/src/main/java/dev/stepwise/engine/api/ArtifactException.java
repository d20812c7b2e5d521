package dev.stepwise.engine.api;

/**
 * An artifact could not be stored or read: it is missing, its bytes do not match its hash (the
 * file was changed or damaged on disk), or the file system failed.
 */
public class ArtifactException extends EngineException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Problem {
        /** No file has that hash. */
        MISSING,
        /** The file's size or SHA-256 does not match the reference. */
        CORRUPT,
        /** Reading or writing the file failed. */
        IO
    }

    private final String artifact;
    private final Problem problem;

    /**
     * @param artifact the artifact id ({@code sha256:…}), or a description when it has none yet
     * @param problem  what went wrong
     * @param message  what happened and what to do
     * @param cause    the underlying failure, or null
     */
    public ArtifactException(String artifact, Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.artifact = artifact;
        this.problem = problem;
    }

    /** @return the artifact id */
    public String artifact() {
        return artifact;
    }

    /** @return what went wrong */
    public Problem problem() {
        return problem;
    }
}
