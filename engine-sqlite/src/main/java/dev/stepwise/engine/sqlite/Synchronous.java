package dev.stepwise.engine.sqlite;

/**
 * How hard SQLite syncs to disk on commit ({@code PRAGMA synchronous}), set on every connection
 * of a {@link SqliteJobStore}. With WAL both modes keep the database consistent; they differ in
 * what a commit survives.
 */
public enum Synchronous {
    /**
     * {@code synchronous = FULL} (2), the default: the WAL is synced on every commit, so a
     * committed checkpoint survives power loss or an operating-system crash.
     */
    FULL(2),
    /**
     * {@code synchronous = NORMAL} (1): the WAL is synced only at checkpoints, so a committed
     * checkpoint survives a crash of the process but the last commits may be lost on power loss.
     * Faster: a commit costs no fsync.
     */
    NORMAL(1);

    private final int pragmaValue;

    Synchronous(int pragmaValue) {
        this.pragmaValue = pragmaValue;
    }

    /** @return the value {@code PRAGMA synchronous} reports for this mode (2 for FULL, 1 for NORMAL) */
    public int pragmaValue() {
        return pragmaValue;
    }
}
