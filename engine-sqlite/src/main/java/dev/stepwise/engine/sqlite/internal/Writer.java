package dev.stepwise.engine.sqlite.internal;

import dev.stepwise.engine.api.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's single writer connection (auto-commit on, kept open), guarded by a lock. Every
 * write is one {@code BEGIN IMMEDIATE ... COMMIT} (so the write lock is taken up front and no
 * lock upgrade can deadlock), rolled back on any failure and run again whole on BUSY/LOCKED.
 * Only SQL runs inside a transaction. Every {@code checkpointEvery} commits it runs a passive
 * WAL checkpoint, outside any transaction.
 */
public final class Writer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Writer.class);

    private final Connection connection;
    private final SqlFile queries;
    private final Duration busyTimeout;
    private final int checkpointEvery;
    private final ReentrantLock lock = new ReentrantLock();
    private final Tx tx;
    private long commits;
    private boolean closed;

    /**
     * @param connection      the writer connection, pragmas already applied; this object owns it
     * @param queries         the store's statements
     * @param busyTimeout     how long to keep retrying a transaction that finds the database locked
     * @param checkpointEvery commits between passive WAL checkpoints (>= 1)
     */
    public Writer(Connection connection, SqlFile queries, Duration busyTimeout, int checkpointEvery) {
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
            commits++;
            if (commits % checkpointEvery == 0) {
                checkpoint();
            }
            return result;
        } finally {
            lock.unlock();
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
