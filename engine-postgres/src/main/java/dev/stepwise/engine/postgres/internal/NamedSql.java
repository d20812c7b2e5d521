package dev.stepwise.engine.postgres.internal;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One statement of a {@link SqlFile}: its JDBC text (named parameters replaced by {@code ?}) and
 * the parameter names in the order they occur (a name may occur more than once).
 *
 * @param name   the statement's name in its file
 * @param sql    the JDBC text
 * @param params the parameter names, one per {@code ?}
 */
public record NamedSql(String name, String sql, List<String> params) {

    /**
     * Validates and copies.
     *
     * @param name   the statement's name in its file
     * @param sql    the JDBC text
     * @param params the parameter names, one per {@code ?}
     */
    public NamedSql {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sql, "sql");
        params = List.copyOf(params);
    }

    /**
     * Parses a statement written with {@code :name} parameters. Text inside quotes and after
     * {@code --} is left alone; {@code ::} (a PostgreSQL cast) is not a parameter.
     *
     * @param name the statement's name
     * @param text the statement
     * @return the parsed statement
     */
    public static NamedSql parse(String name, String text) {
        StringBuilder out = new StringBuilder(text.length());
        List<String> params = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                int end = text.indexOf(c, i + 1);
                end = end < 0 ? n : end + 1;
                out.append(text, i, end);
                i = end;
            } else if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                int end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
                out.append(text, i, end);
                i = end;
            } else if (c == ':' && i + 1 < n && text.charAt(i + 1) == ':') {
                out.append("::");
                i += 2;
            } else if (c == ':' && i + 1 < n && Character.isJavaIdentifierStart(text.charAt(i + 1))) {
                int end = i + 1;
                while (end < n && Character.isJavaIdentifierPart(text.charAt(end))) {
                    end++;
                }
                params.add(text.substring(i + 1, end));
                out.append('?');
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return new NamedSql(name, out.toString(), params);
    }

    /**
     * The text to prepare for these values: {@link #sql()}, plus a comment naming the parameters
     * that are null when any are.
     *
     * <p>Why: pgjdbc binds a null as an untyped parameter and a value with its Java type, and it
     * keeps one server-side prepared statement per text, with the types it was prepared with.
     * A statement run with nulls in different places (a job's claim, its middle boundaries and
     * its completion bind different nulls to {@code write_job}) was parsed again by the server
     * each time the pattern changed: three times per job. One text per pattern gives each its
     * own prepared statement, parsed once per connection.
     *
     * @param values the values by name
     * @return the text for {@link java.sql.Connection#prepareStatement(String)}
     */
    public String sqlFor(Params values) {
        StringBuilder nulls = null;
        for (int i = 0; i < params.size(); i++) {
            if (values.get(params.get(i)) == null) {
                nulls = nulls == null ? new StringBuilder(sql.length() + 40).append(sql).append("\n/* null:") : nulls;
                nulls.append(' ').append(i + 1);
            }
        }
        return nulls == null ? sql : nulls.append(" */").toString();
    }

    /**
     * Binds every parameter of this statement.
     *
     * @param ps     a statement prepared from {@link #sqlFor(Params)} (or {@link #sql()})
     * @param values the values by name
     * @throws SQLException          if binding fails
     * @throws IllegalStateException if a parameter has no value (a bug in the store)
     */
    public void bind(PreparedStatement ps, Params values) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            String p = params.get(i);
            if (!values.has(p)) {
                throw new IllegalStateException("statement " + name + " needs parameter :" + p + " but it was not given");
            }
            Object v = values.get(p);
            if (v == null) {
                ps.setNull(i + 1, Types.NULL);
            } else {
                ps.setObject(i + 1, v);
            }
        }
    }
}
