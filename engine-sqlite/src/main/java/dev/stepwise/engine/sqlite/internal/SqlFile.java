package dev.stepwise.engine.sqlite.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file of named SQL statements, each after a {@code -- name: <name>} header, loaded once from
 * the classpath. Full-line comments are dropped; a trailing {@code ;} is optional.
 */
public final class SqlFile {
    private static final Pattern HEADER = Pattern.compile("^--\\s*name:\\s*(\\S+)\\s*$");
    private static final Pattern STATEMENT_END = Pattern.compile(";[ \\t]*\\r?$", Pattern.MULTILINE);

    private final String resource;
    private final Map<String, NamedSql> statements;

    private SqlFile(String resource, Map<String, NamedSql> statements) {
        this.resource = resource;
        this.statements = Map.copyOf(statements);
    }

    /**
     * @param resource absolute classpath resource name, e.g. {@code /dev/stepwise/engine/sqlite/queries.sql}
     * @return the parsed file
     * @throws IllegalStateException if the resource is missing or malformed (a packaging bug)
     */
    public static SqlFile load(String resource) {
        return parse(resource, read(resource));
    }

    /**
     * @param resource the name, for messages
     * @param text     the file's text
     * @return the parsed file
     */
    static SqlFile parse(String resource, String text) {
        Map<String, NamedSql> statements = new LinkedHashMap<>();
        String current = null;
        StringBuilder body = new StringBuilder();
        for (String line : text.split("\\R", -1)) {
            Matcher m = HEADER.matcher(line.strip());
            if (m.matches()) {
                put(resource, statements, current, body);
                current = m.group(1);
                body.setLength(0);
            } else if (!line.strip().startsWith("--")) {
                body.append(line).append('\n');
            }
        }
        put(resource, statements, current, body);
        return new SqlFile(resource, statements);
    }

    private static void put(String resource, Map<String, NamedSql> statements, String name, StringBuilder body) {
        String sql = body.toString().strip();
        if (sql.endsWith(";")) {
            sql = sql.substring(0, sql.length() - 1).strip();
        }
        if (name == null) {
            if (!sql.isEmpty()) {
                throw new IllegalStateException(resource + ": SQL before the first '-- name:' header");
            }
            return;
        }
        if (sql.isEmpty()) {
            throw new IllegalStateException(resource + ": statement " + name + " is empty");
        }
        if (statements.put(name, NamedSql.parse(name, sql)) != null) {
            throw new IllegalStateException(resource + ": statement " + name + " is defined twice");
        }
    }

    /**
     * @param name a statement name
     * @return the statement
     * @throws IllegalArgumentException if the file has no such statement (a bug in the store)
     */
    public NamedSql get(String name) {
        NamedSql s = statements.get(name);
        if (s == null) {
            throw new IllegalArgumentException(resource + " has no statement named " + name);
        }
        return s;
    }

    /**
     * Reads a classpath resource as UTF-8.
     *
     * @param resource absolute resource name
     * @return its text
     * @throws IllegalStateException if it is missing
     */
    public static String read(String resource) {
        try (InputStream in = SqlFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }

    /**
     * Splits a migration script into statements: a statement ends with {@code ;} at the end of a
     * line. Pieces holding only comments and blanks are dropped.
     *
     * @param script the script
     * @return its statements, in order
     */
    public static List<String> splitStatements(String script) {
        List<String> out = new ArrayList<>();
        for (String piece : STATEMENT_END.split(script)) {
            boolean hasSql = piece.lines().map(String::strip).anyMatch(l -> !l.isEmpty() && !l.startsWith("--"));
            if (hasSql) {
                out.add(piece.strip());
            }
        }
        return out;
    }
}
