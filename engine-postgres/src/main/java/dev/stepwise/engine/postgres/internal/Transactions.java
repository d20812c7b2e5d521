package dev.stepwise.engine.postgres.internal;

import dev.stepwise.engine.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the store's work on connections borrowed from a {@link DataSource}, each piece in one
 * transaction, and rides out connection loss: when the connection breaks (the server
 * terminated it, restarted, or is starting up), a serialization failure or a deadlock, the
 * work is rolled back and run again whole on a fresh connection, with a growing jittered pause,
 * for up to the store's patience. The first failure of an outage logs one warning; the rest
 * log at debug; the first success after it logs how long it lasted. Failures less than
 * {@link #OUTAGE_GAP} after the previous one belong to the same outage even if a success came
 * between them: when the server drops every connection, the pool still holds the dead ones and
 * hands them out one by one after the first fresh connection has worked.
 *
 * <p>A connection that broke during {@code COMMIT} leaves it unknown whether the transaction
 * committed: the work is told that it runs again ({@link Work#run(Connection, boolean)}), so
 * that it can look for its write token first.
 */
public final class Transactions {
    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Failures closer together than this are one outage (one warning). */
    static final java.time.Duration OUTAGE_GAP = java.time.Duration.ofSeconds(5);

    /**
     * Work on a connection.
     *
     * @param <T> the result
     */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * @param c     the connection (in a transaction for writes)
         * @param again whether an earlier run of this work failed on a broken connection (it may have committed)
         * @return the result
         * @throws SQLException on failure
         */
        T run(Connection c, boolean again) throws SQLException;
    }

    /**
     * Maps the current row.
     *
     * @param <T> the mapped type
     */
    @FunctionalInterface
    public interface RowMapper<T> {
        /**
         * @param rs positioned on a row
         * @return the mapped row
         * @throws SQLException on failure
         */
        T map(ResultSet rs) throws SQLException;
    }

    private final DataSource dataSource;
    private final Duration patience;
    private final String database;
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicLong downSince = new AtomicLong();
    private final AtomicLong lastFailure = new AtomicLong(System.nanoTime() - OUTAGE_GAP.toNanos() - 1);
    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param dataSource where connections come from
     * @param patience   how long to keep retrying work whose connection broke
     * @param database   names the database in messages
     */
    public Transactions(DataSource dataSource, Duration patience, String database) {
        this.dataSource = dataSource;
        this.patience = patience;
        this.database = database;
    }

    /**
     * Runs work in one transaction and commits it.
     *
     * @param what the operation, for messages
     * @param work SQL only: it may run several times
     * @param <T>  the result
     * @return the work's result, after commit
     * @throws StoreException on SQL failure (nothing written), or if the connection stayed broken
     */
    public <T> T write(String what, Work<T> work) {
        return retrying(what, again -> {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c, again);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException | Error e) {
                    rollbackQuietly(c, e);
                    throw e;
                } finally {
                    restoreAutoCommit(c);
                }
            }
        });
    }

    /**
     * Runs a write that is ONE statement outside an explicit transaction: the statement is its
     * own transaction, so it costs one round trip (no {@code BEGIN}/{@code COMMIT}). Retried as
     * {@link #write} is; the work is told when it runs again (the statement may have committed).
     *
     * @param what the operation, for messages
     * @param work one data-modifying statement (plus, when run again, reads)
     * @param <T>  the result
     * @return its result, committed
     */
    public <T> T statement(String what, Work<T> work) {
        return read(what, work);
    }

    /**
     * Runs work outside an explicit transaction (each statement commits on its own).
     *
     * @param what the operation, for messages
     * @param work the work (reads)
     * @param <T>  the result
     * @return its result
     */
    public <T> T read(String what, Work<T> work) {
        return retrying(what, again -> {
            try (Connection c = dataSource.getConnection()) {
                if (!c.getAutoCommit()) {
                    c.setAutoCommit(true);
                }
                return work.run(c, again);
            }
        });
    }

    private interface Attempt<T> {
        T run(boolean again) throws SQLException;
    }

    private <T> T retrying(String what, Attempt<T> attempt) {
        long deadline = System.nanoTime() + patience.toNanos();
        long backoff = FIRST_BACKOFF_NANOS;
        boolean again = false;
        for (int tries = 1; ; tries++) {
            if (closed.get()) {
                throw new StoreException(what + " failed: the store is closed");
            }
            try {
                T result = attempt.run(again);
                if (down.compareAndSet(true, false) && warned.compareAndSet(true, false)) {
                    LOG.info("connection to {} restored after {} ms", database,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSince.get()));
                }
                return result;
            } catch (SQLException e) {
                if (!isTransient(e)) {
                    throw new StoreException(what + " failed: " + e.getMessage(), e);
                }
                again = true;
                long pause = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
                if (System.nanoTime() + pause - deadline > 0) {
                    throw new StoreException(what + " failed: the connection to " + database + " stayed broken for more than "
                            + patience + " (" + tries + " attempts, last: " + e.getMessage()
                            + "); check that the database is up, or raise the store's reconnectPatience", e);
                }
                long now = System.nanoTime();
                boolean newOutage = now - lastFailure.getAndSet(now) > OUTAGE_GAP.toNanos();
                if (down.compareAndSet(false, true) && newOutage) {
                    downSince.set(now);
                    warned.set(true);
                    LOG.warn("connection to {} broken ({}); retrying for up to {} (logged once per outage)", database,
                            firstLine(e.getMessage()), patience);
                } else {
                    LOG.debug("{}: connection still broken ({}), attempt {}", what, e.getMessage(), tries);
                }
                try {
                    TimeUnit.NANOSECONDS.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(what + " interrupted while waiting for the database to come back", ie);
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
            }
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /**
     * @param e a failure
     * @return true if running the work again on a fresh connection may succeed: a broken or
     *         refused connection (SQLSTATE class 08, 57P01-57P03, 53300), a serialization failure
     *         (40001) or deadlock (40P01), or the pool's timeout while the database is down
     */
    public static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                        || state.equals("53300") || state.equals("40001") || state.equals("40P01")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * @param e a failure
     * @return true if it (or a cause) is a unique or primary-key violation (23505)
     */
    public static boolean isUniqueViolation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && "23505".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback after '{}' failed: {}", cause.getMessage(), e.getMessage());
        }
    }

    private static void restoreAutoCommit(Connection c) {
        try {
            if (!c.isClosed()) {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.debug("restoring auto-commit failed: {}", e.getMessage());
        }
    }

    /** Refuses further work (work running now finishes). */
    public void close() {
        closed.set(true);
    }

    // ------------------------------------------------------------------ statements

    /**
     * @param c      the connection
     * @param sql    the statement
     * @param params its values
     * @return the number of rows changed
     * @throws SQLException on failure
     */
    public static int update(Connection c, NamedSql sql, Params params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.sqlFor(params))) {
            sql.bind(ps, params);
            return ps.executeUpdate();
        }
    }

    /**
     * Runs one statement for each set of values, in one round trip.
     *
     * @param c    the connection
     * @param sql  the statement
     * @param rows the values of each run
     * @return the rows changed by each run
     * @throws SQLException on failure
     */
    public static int[] batch(Connection c, NamedSql sql, List<Params> rows) throws SQLException {
        if (rows.isEmpty()) {
            return new int[0];
        }
        if (rows.size() == 1) {
            return new int[] {update(c, sql, rows.get(0))};
        }
        try (PreparedStatement ps = c.prepareStatement(sql.sql())) {
            for (Params row : rows) {
                sql.bind(ps, row);
                ps.addBatch();
            }
            return ps.executeBatch();
        }
    }

    /**
     * @param c      the connection
     * @param sql    the query
     * @param params its values
     * @param mapper maps each row
     * @param <T>    the mapped type
     * @return the rows
     * @throws SQLException on failure
     */
    public static <T> List<T> query(Connection c, NamedSql sql, Params params, RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.sqlFor(params))) {
            sql.bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
                return out;
            }
        }
    }

    /**
     * Runs a statement without parameters (DDL).
     *
     * @param c   the connection
     * @param sql the text
     * @throws SQLException on failure
     */
    public static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
