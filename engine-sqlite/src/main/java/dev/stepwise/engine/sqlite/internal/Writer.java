package dev.stepwise.engine.sqlite.internal;

import dev.stepwise.engine.api.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's single writer connection (auto-commit on, kept open), guarded by a lock. Every
 * write is one {@code BEGIN IMMEDIATE ... COMMIT} (so the write lock is taken up front and no
 * lock upgrade can deadlock), rolled back on any failure and run again whole on BUSY/LOCKED.
 * Only SQL runs inside a transaction. Every {@code checkpointEvery} commits it runs a passive
 * WAL checkpoint, outside any transaction.
 *
 * <p><b>Group commit</b> ({@link #inGroup}, issue 15): writes that arrive while another is
 * committing wait in a queue; whoever takes the lock next commits every queued write in one
 * transaction, each inside its own savepoint, so a write whose work throws (a lost guard, a
 * missing row) is rolled back alone and its caller alone gets the exception. Every caller
 * returns only after the transaction holding its write committed. A group whose transaction
 * fails as a whole (an SQL error other than a busy database) is run again one write per
 * transaction, so a bad write fails only itself.
 */
public final class Writer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Writer.class);

    private final Connection connection;
    private final SqlFile queries;
    private final Duration busyTimeout;
    private final int checkpointEvery;
    private final ReentrantLock lock = new ReentrantLock();
    private final Tx tx;
    private final boolean grouping;
    private final ConcurrentLinkedQueue<Queued<?>> queue = new ConcurrentLinkedQueue<>();
    private long commits;
    private long groupedWrites;
    private boolean closed;

    /** A write waiting for a group: its work, and once its group committed, its result or exception. */
    private static final class Queued<T> {
        final String what;
        final Tx.Work<T> work;
        volatile boolean done;
        T result;
        RuntimeException failed;
        Error fatal;

        Queued(String what, Tx.Work<T> work) {
            this.what = what;
            this.work = work;
        }
    }

    /**
     * @param connection      the writer connection, pragmas already applied; this object owns it
     * @param queries         the store's statements
     * @param busyTimeout     how long to keep retrying a transaction that finds the database locked
     * @param checkpointEvery commits between passive WAL checkpoints (>= 1)
     */
    public Writer(Connection connection, SqlFile queries, Duration busyTimeout, int checkpointEvery) {
        this(connection, queries, busyTimeout, checkpointEvery, true);
    }

    /**
     * @param connection      the writer connection, pragmas already applied; this object owns it
     * @param queries         the store's statements
     * @param busyTimeout     how long to keep retrying a transaction that finds the database locked
     * @param checkpointEvery commits between passive WAL checkpoints (>= 1)
     * @param grouping        whether {@link #inGroup} commits concurrent writes together (else it is {@link #inTransaction})
     */
    public Writer(Connection connection, SqlFile queries, Duration busyTimeout, int checkpointEvery, boolean grouping) {
        this.grouping = grouping;
        this.connection = connection;
        this.queries = queries;
        this.busyTimeout = busyTimeout;
        this.checkpointEvery = checkpointEvery;
        this.tx = new Tx(connection);
    }

    /**
     * Runs work in one write transaction, retried whole while the database is busy. Unchecked
     * exceptions thrown by the work roll back and propagate unchanged.
     *
     * @param what the operation, for messages
     * @param work SQL only: it may run several times
     * @param <T>  the result
     * @return the work's result, after commit
     * @throws StoreException on SQL failure (nothing written)
     */
    public <T> T inTransaction(String what, Tx.Work<T> work) {
        lock.lock();
        try {
            ensureOpen(what);
            T result = Jdbc.retryWhileBusy(what, busyTimeout, () -> once(work));
            afterCommit();
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs work in a write transaction that it may share with other writes queued at the same
     * moment (group commit, see the class comment); returns after that transaction committed.
     * Unchecked exceptions thrown by the work roll back this write only and propagate unchanged.
     *
     * @param what the operation, for messages
     * @param work SQL only: it may run several times
     * @param <T>  the result
     * @return the work's result, after commit
     * @throws StoreException on SQL failure (nothing of this write written)
     */
    public <T> T inGroup(String what, Tx.Work<T> work) {
        if (!grouping) {
            return inTransaction(what, work);
        }
        Queued<T> mine = new Queued<>(what, work);
        queue.add(mine);
        lock.lock();
        try {
            if (!mine.done) {
                ensureOpen(what);
                commitGroup();
            }
        } finally {
            lock.unlock();
        }
        if (!mine.done) {
            // Its group ended on something unexpected (see commitGroup): never report it as committed.
            throw new StoreException(what + " failed: its group commit was interrupted");
        }
        if (mine.fatal != null) {
            throw mine.fatal;
        }
        if (mine.failed != null) {
            throw mine.failed;
        }
        return mine.result;
    }

    /** @return how many writes were committed by {@link #inGroup} in a group of two or more (for tests and the bench) */
    public long groupedWrites() {
        return groupedWrites;
    }

    /** Under the lock: commits every queued write (at least the caller's) in one transaction. */
    private void commitGroup() {
        List<Queued<?>> group = new ArrayList<>();
        for (Queued<?> q = queue.poll(); q != null; q = queue.poll()) {
            group.add(q);
        }
        if (group.isEmpty()) {
            return;
        }
        try {
            commitDrained(group);
        } finally {
            for (Queued<?> q : group) {
                if (!q.done) { // something unexpected escaped: the write is not known to be committed
                    q.failed = new StoreException(q.what + " failed: its group commit was interrupted");
                    q.done = true;
                }
            }
        }
    }

    private void commitDrained(List<Queued<?>> group) {
        String what = group.size() == 1 ? group.get(0).what : "group commit of " + group.size() + " writes";
        boolean committed;
        try {
            committed = Jdbc.retryWhileBusy(what, busyTimeout, () -> onceGrouped(group));
        } catch (StoreException e) {
            if (group.size() == 1) {
                group.get(0).failed = e;
                group.get(0).done = true;
                return;
            }
            // The group failed as a whole: each write on its own, so only a bad one fails.
            LOG.debug("{} failed ({}); committing its writes one by one", what, e.getMessage());
            for (Queued<?> q : group) {
                runAlone(q);
            }
            return;
        }
        if (committed) {
            if (group.size() > 1) {
                groupedWrites += group.size();
            }
            afterCommit();
        }
        for (Queued<?> q : group) {
            q.done = true;
        }
    }

    private <T> void runAlone(Queued<T> q) {
        try {
            q.result = Jdbc.retryWhileBusy(q.what, busyTimeout, () -> once(q.work));
            afterCommit();
        } catch (RuntimeException e) {
            q.failed = e;
        } catch (Error e) {
            q.fatal = e;
        }
        q.done = true;
    }

    /** One try of a group: each write in a savepoint; a write whose work throws unchecked is undone alone. */
    private boolean onceGrouped(List<Queued<?>> group) throws SQLException {
        tx.execute(queries.get("begin_immediate"));
        try {
            for (Queued<?> q : group) {
                q.failed = null;
                q.fatal = null;
                if (group.size() == 1) {
                    runInTransaction(q); // no savepoint needed: its failure rolls the transaction back
                    if (q.failed != null || q.fatal != null) {
                        rollbackQuietly(q.failed != null ? q.failed : q.fatal);
                        return false;
                    }
                } else {
                    tx.execute(queries.get("savepoint_write"));
                    runInTransaction(q);
                    if (q.failed != null || q.fatal != null) {
                        tx.execute(queries.get("rollback_to_write"));
                    }
                    tx.execute(queries.get("release_write"));
                }
            }
            tx.execute(queries.get("commit"));
            return true;
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly(e);
            throw e;
        }
    }

    /** Runs a write's work; an unchecked throw is recorded on it (SQL failures propagate: they fail the group's try). */
    private <T> void runInTransaction(Queued<T> q) throws SQLException {
        try {
            q.result = q.work.run(tx);
        } catch (RuntimeException e) {
            q.failed = e;
        } catch (Error e) {
            q.fatal = e;
        }
    }

    /**
     * Runs work on the writer outside any transaction (e.g. reading its pragmas).
     *
     * @param what the operation, for messages
     * @param work the work
     * @param <T>  the result
     * @return its result
     */
    public <T> T withConnection(String what, Jdbc.SqlWork<T> work) {
        lock.lock();
        try {
            ensureOpen(what);
            return Jdbc.retryWhileBusy(what, busyTimeout, () -> work.run(connection));
        } finally {
            lock.unlock();
        }
    }

    private <T> T once(Tx.Work<T> work) throws SQLException {
        tx.execute(queries.get("begin_immediate"));
        try {
            T result = work.run(tx);
            tx.execute(queries.get("commit"));
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly(e);
            throw e;
        }
    }

    private void afterCommit() {
        commits++;
        if (commits % checkpointEvery == 0) {
            checkpoint();
        }
    }

    private void rollbackQuietly(Throwable cause) {
        try {
            tx.execute(queries.get("rollback"));
        } catch (SQLException e) {
            // Nothing to roll back (SQLite already did, e.g. after SQLITE_FULL) or the connection is gone.
            LOG.debug("rollback after '{}' failed: {}", cause.getMessage(), e.getMessage());
        }
    }

    private void checkpoint() {
        try {
            tx.query(queries.get("wal_checkpoint_passive"), Params.of(), rs -> null);
            LOG.debug("passive WAL checkpoint after {} commits", commits);
        } catch (SQLException e) {
            LOG.warn("passive WAL checkpoint failed (the write before it is committed; will try again): {}", e.getMessage());
        }
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new StoreException(what + " failed: the store is closed");
        }
    }

    /** Closes the connection; idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            tx.closeAll();
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing the SQLite writer connection failed: {}", e.getMessage());
        } finally {
            lock.unlock();
        }
    }
}
