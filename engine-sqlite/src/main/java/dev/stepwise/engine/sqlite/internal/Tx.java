package dev.stepwise.engine.sqlite.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer connection with a cache of its prepared statements, one per statement name, kept
 * open for the connection's life (SQLite compiles each statement once instead of on every
 * write: compiling was a quarter of the engine's time per step). Used only under the
 * {@link Writer}'s lock. A statement whose execution fails is closed and dropped from the cache,
 * so a failure never leaves a half-run statement behind for the next transaction.
 */
public final class Tx {
    private static final Logger LOG = LoggerFactory.getLogger(Tx.class);

    private final Connection connection;
    private final Map<String, PreparedStatement> cache = new HashMap<>();

    Tx(Connection connection) {
        this.connection = connection;
    }

    /** @return the writer connection (for statements that are not cached, e.g. migration DDL) */
    public Connection connection() {
        return connection;
    }

    /**
     * @param sql    a named statement
     * @param params its values
     * @return the number of rows changed
     * @throws SQLException on failure
     */
    public int update(NamedSql sql, Params params) throws SQLException {
        PreparedStatement ps = prepared(sql);
        try {
            sql.bind(ps, params);
            int n = ps.executeUpdate();
            ps.clearParameters();
            return n;
        } catch (SQLException | RuntimeException e) {
            evict(sql);
            throw e;
        }
    }

    /**
     * Runs a statement without parameters that returns no rows (e.g. {@code BEGIN IMMEDIATE}).
     *
     * @param sql a named statement without parameters
     * @throws SQLException on failure
     */
    public void execute(NamedSql sql) throws SQLException {
        PreparedStatement ps = prepared(sql);
        try {
            ps.execute();
        } catch (SQLException | RuntimeException e) {
            evict(sql);
            throw e;
        }
    }

    /**
     * @param sql    a named query
     * @param params its values
     * @param mapper maps each row
     * @param <T>    the mapped type
     * @return the rows
     * @throws SQLException on failure
     */
    public <T> List<T> query(NamedSql sql, Params params, Jdbc.RowMapper<T> mapper) throws SQLException {
        PreparedStatement ps = prepared(sql);
        try {
            sql.bind(ps, params);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
            }
            ps.clearParameters();
            return out;
        } catch (SQLException | RuntimeException e) {
            evict(sql);
            throw e;
        }
    }

    private PreparedStatement prepared(NamedSql sql) throws SQLException {
        PreparedStatement ps = cache.get(sql.name());
        if (ps == null) {
            ps = connection.prepareStatement(sql.sql());
            cache.put(sql.name(), ps);
        }
        return ps;
    }

    private void evict(NamedSql sql) {
        PreparedStatement ps = cache.remove(sql.name());
        if (ps != null) {
            try {
                ps.close();
            } catch (SQLException e) {
                LOG.debug("closing statement {} after a failure failed: {}", sql.name(), e.getMessage());
            }
        }
    }

    /** Closes every cached statement (the connection stays open). */
    void closeAll() {
        for (PreparedStatement ps : cache.values()) {
            try {
                ps.close();
            } catch (SQLException e) {
                LOG.debug("closing a cached statement failed: {}", e.getMessage());
            }
        }
        cache.clear();
    }

    /**
     * Work inside a write transaction.
     *
     * @param <T> the result
     */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * @param tx the writer, inside its transaction
         * @return the result
         * @throws SQLException on failure
         */
        T run(Tx tx) throws SQLException;
    }
}
