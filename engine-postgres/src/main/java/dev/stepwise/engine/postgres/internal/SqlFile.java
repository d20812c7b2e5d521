package dev.stepwise.engine.postgres.internal;

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
 * the classpath, with {@code {schema}} replaced by the store's quoted schema. Full-line
 * comments are dropped; a trailing {@code ;} is optional.
 */
public final class SqlFile {
    private static final Pattern HEADER = Pattern.compile("^--\\s*name:\\s*(\\S+)\\s*$");
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String resource;
    private final Map<String, NamedSql> statements;

    private SqlFile(String resource, Map<String, NamedSql> statements) {
        this.resource = resource;
        this.statements = Map.copyOf(statements);
    }

    /**
     * @param resource absolute classpath resource name
     * @param schema   the schema (validated by {@link #validSchema(String)})
     * @return the parsed file
     * @throws IllegalStateException if the resource is missing or malformed (a packaging bug)
     */
    public static SqlFile load(String resource, String schema) {
        return parse(resource, withSchema(read(resource), schema));
    }

    /**
     * @param schema a schema name
     * @return it, if it is 1-63 characters of lowercase letters, digits and '_', not starting with a digit
     * @throws IllegalArgumentException otherwise
     */
    public static String validSchema(String schema) {
        if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema must be 1-63 characters of a-z, 0-9 and '_', not starting with a digit; was '"
                    + schema + "'");
        }
        return schema;
    }

    /**
     * @param text   SQL text
     * @param schema a valid schema name
     * @return the text with {@code {schema}} replaced by the quoted schema
     */
    public static String withSchema(String text, String schema) {
        return text.replace("{schema}", "\"" + validSchema(schema) + "\"");
    }

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
     * line, except inside a {@code $$}-quoted body (a function's; {@code $$} in a comment line
     * does not count). Pieces holding only comments and blanks are dropped.
     *
     * @param script the script
     * @return its statements, in order
     */
    public static List<String> splitStatements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder piece = new StringBuilder();
        boolean inBody = false;
        for (String line : script.split("\\R", -1)) {
            piece.append(line).append('\n');
            int quotes = line.strip().startsWith("--") ? 0 : line.split("\\$\\$", -1).length - 1;
            if (quotes % 2 == 1) {
                inBody = !inBody;
            }
            if (!inBody && line.stripTrailing().endsWith(";")) {
                add(out, piece);
                piece.setLength(0);
            }
        }
        add(out, piece);
        return out;
    }

    private static void add(List<String> out, StringBuilder piece) {
        String text = piece.toString().strip();
        boolean hasSql = text.lines().map(String::strip).anyMatch(l -> !l.isEmpty() && !l.startsWith("--"));
        if (hasSql) {
            out.add(text.endsWith(";") ? text.substring(0, text.length() - 1) : text);
        }
    }
}
