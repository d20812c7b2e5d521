package dev.stepwise.engine.sqlite.internal;

import dev.stepwise.engine.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** Small JDBC helpers: run a named statement, map rows, classify and retry SQLite lock errors. */
public final class Jdbc {
    private static final Logger LOG = LoggerFactory.getLogger(Jdbc.class);
    private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private Jdbc() {
    }

    /**
     * Work on a connection.
     *
     * @param <T> the result
     */
    @FunctionalInterface
    public interface SqlWork<T> {
        /**
         * @param c the connection
         * @return the result
         * @throws SQLException on failure
         */
        T run(Connection c) throws SQLException;
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

    /**
     * Runs a statement without parameters.
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

    /**
     * @param c   the connection
     * @param sql a statement returning one row with one column (e.g. a PRAGMA)
     * @return that value as a string (null if there is no row)
     * @throws SQLException on failure
     */
    public static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * @param c      the connection
     * @param sql    the statement
     * @param params its values
     * @return the number of rows changed
     * @throws SQLException on failure
     */
    public static int update(Connection c, NamedSql sql, Params params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.sql())) {
            sql.bind(ps, params);
            return ps.executeUpdate();
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
        try (PreparedStatement ps = c.prepareStatement(sql.sql())) {
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
     * @param e a failure
     * @return true if it (or a cause) is SQLite's BUSY or LOCKED, in any extended form
     *         (e.g. {@code SQLITE_BUSY_SNAPSHOT}): the work may succeed if run again
     */
    public static boolean isBusy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException s) {
                int primary = s.getResultCode().code & 0xFF;
                if (primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * @param e a failure
     * @return true if it (or a cause) is a primary-key or unique constraint violation
     */
    public static boolean isUniqueViolation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException s) {
                SQLiteErrorCode code = s.getResultCode();
                if (code == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Runs an attempt, and runs it again after a short, growing, jittered pause whenever it fails
     * with BUSY or LOCKED, until {@code patience} has passed.
     *
     * @param what     the operation, for messages (e.g. {@code "write of job 01J..."})
     * @param patience how long to keep retrying
     * @param attempt  the attempt (must leave nothing behind when it fails)
     * @param <T>      the result
     * @return the attempt's result
     * @throws StoreException on any other SQL failure, on running out of patience, or on interrupt
     */
    public static <T> T retryWhileBusy(String what, Duration patience, Attempt<T> attempt) {
        long deadline = System.nanoTime() + patience.toNanos();
        long backoff = FIRST_BACKOFF_NANOS;
        int tries = 0;
        while (true) {
            tries++;
            try {
                return attempt.run();
            } catch (SQLException e) {
                if (!isBusy(e)) {
                    throw new StoreException(what + " failed: " + e.getMessage(), e);
                }
                long pause = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
                if (System.nanoTime() + pause - deadline > 0) {
                    throw new StoreException(what + " failed: the database stayed locked for more than " + patience
                            + " (" + tries + " attempts); another process holds a long write transaction, or raise busyTimeout", e);
                }
                LOG.debug("{}: database busy ({}), attempt {}; retrying in {} us", what, e.getMessage(), tries, pause / 1000);
                try {
                    TimeUnit.NANOSECONDS.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(what + " interrupted while waiting for a database lock", ie);
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
            }
        }
    }

    /**
     * One attempt of a retried operation.
     *
     * @param <T> the result
     */
    @FunctionalInterface
    public interface Attempt<T> {
        /**
         * @return the result
         * @throws SQLException on failure
         */
        T run() throws SQLException;
    }
}
