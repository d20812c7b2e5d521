package dev.stepwise.engine.core;

/**
 * How deep and how large a job input or a step output may be. The engine checks every input at
 * {@link JobEngine#createJob} and every step result before it is recorded, without recursion, so a
 * hostile value (a structure 100,000 levels deep, a map that contains itself) is refused with a
 * clear message instead of overflowing the stack.
 *
 * <p>Inputs over a limit are refused with {@link dev.stepwise.engine.api.InvalidInputException}
 * (nothing written); outputs over a limit fail the step with
 * {@link dev.stepwise.engine.api.InvalidOutputException}.
 *
 * @param maxDepth nesting levels of objects and arrays, 1 to {@value #MAX_DEPTH_CEILING}
 *                 (default {@value #DEFAULT_MAX_DEPTH}); a scalar has depth 0, {@code {}} depth 1
 * @param maxBytes size of the value as canonical UTF-8 JSON text, in bytes, 1 or more
 *                 (default {@value #DEFAULT_MAX_BYTES}, 16 MiB)
 */
public record JsonLimits(int maxDepth, long maxBytes) {
    /** Default nesting limit. */
    public static final int DEFAULT_MAX_DEPTH = 1_000;
    /**
     * Highest nesting limit: the stores and the manifest read and write JSON up to 2,000 levels,
     * and a manifest nests an output a few levels below its root.
     */
    public static final int MAX_DEPTH_CEILING = 1_000;
    /** Default size limit: 16 MiB. */
    public static final long DEFAULT_MAX_BYTES = 16L * 1024 * 1024;
    /** The defaults. */
    public static final JsonLimits DEFAULTS = new JsonLimits(DEFAULT_MAX_DEPTH, DEFAULT_MAX_BYTES);

    /** Validates the limits. */
    public JsonLimits {
        if (maxDepth < 1 || maxDepth > MAX_DEPTH_CEILING) {
            throw new IllegalArgumentException("maxDepth must be between 1 and " + MAX_DEPTH_CEILING + ", was " + maxDepth);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
    }
}
