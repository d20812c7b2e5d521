package dev.stepwise.engine.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The test database (PostgreSQL at 127.0.0.1:5432, database {@code test}, user {@code postgres};
 * {@code -Dstepwise.pg.url=...} overrides) and the schemas of one test class: each store gets a
 * fresh schema named after the class and this JVM, and {@link #dropAll()} drops them after the
 * class (and any a crashed earlier run of the class left behind).
 */
public final class PgSchemas {
    /** The JDBC URL of the test database. */
    public static final String URL = System.getProperty("stepwise.pg.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private final String prefix;
    private final AtomicInteger next = new AtomicInteger();

    /** @param testClass the test class whose schemas these are */
    public PgSchemas(Class<?> testClass) {
        String name = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        this.prefix = "t_" + (name.length() > 40 ? name.substring(0, 40) : name) + "_";
    }

    /** @return a new schema name for this class (not created yet: the store creates it) */
    public String newSchema() {
        return prefix + ProcessHandle.current().pid() + "_" + next.incrementAndGet();
    }

    /** @return a builder on a new schema of this class */
    public PostgresJobStore.Builder builder() {
        return PostgresJobStore.builder(URL).schema(newSchema()).poolSize(6).applicationName("stepwise-test");
    }

    /** @return a store on a new schema of this class */
    public PostgresJobStore openStore() {
        return builder().build();
    }

    /**
     * Drops the schemas of this class made by this JVM, and those left by earlier runs whose JVM
     * is gone; never those of a live JVM (another build on this machine may be running the same
     * class at the same time).
     */
    public void dropAll() throws SQLException {
        try (Connection c = admin()) {
            List<String> schemas = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT nspname FROM pg_namespace WHERE nspname LIKE ?")) {
                ps.setString(1, prefix.replace("_", "\\_") + "%");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        schemas.add(rs.getString(1));
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                for (String schema : schemas) {
                    if (!ownedOrOrphaned(schema)) {
                        continue;
                    }
                    s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
                }
            }
        }
    }

    private boolean ownedOrOrphaned(String schema) {
        String rest = schema.substring(prefix.length());
        int end = rest.indexOf('_');
        try {
            long pid = Long.parseLong(end < 0 ? rest : rest.substring(0, end));
            return pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).isEmpty();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** @return a connection to the test database, outside any store */
    public static Connection admin() throws SQLException {
        return DriverManager.getConnection(URL);
    }
}
