package dev.stepwise.engine.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteMigrationTest {
    @TempDir
    Path dir;

    @Test
    void freshFileGetsVersionOneAndTheTables() throws SQLException {
        Path file = dir.resolve("nested/dirs/stepwise.db");
        SqliteJobStore.builder(file).build().close();

        assertTrue(Files.exists(file));
        assertEquals(List.of("1"), column(file, "SELECT version FROM schema_version"));
        List<String> tables = column(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        assertTrue(tables.containsAll(List.of("job_logs", "job_steps", "jobs", "schema_version")), tables.toString());
        List<String> indexes = column(file, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        assertEquals(List.of("job_logs_by_job", "jobs_by_created", "jobs_by_lease", "jobs_by_status"), indexes);
    }

    @Test
    void reopeningIsANoOp() throws SQLException {
        Path file = dir.resolve("stepwise.db");
        SqliteJobStore.builder(file).build().close();
        String schemaBefore = String.join("\n", column(file, "SELECT sql FROM sqlite_master ORDER BY name"));
        SqliteJobStore.builder(file).build().close();

        assertEquals(List.of("1"), column(file, "SELECT version FROM schema_version"));
        assertEquals(schemaBefore, String.join("\n", column(file, "SELECT sql FROM sqlite_master ORDER BY name")));
    }

    @Test
    void newerSchemaIsRefusedWithAnUpgradeHint() throws SQLException {
        Path file = dir.resolve("stepwise.db");
        SqliteJobStore.builder(file).build().close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("UPDATE schema_version SET version = 99");
        }

        StoreException e = assertThrows(StoreException.class, () -> SqliteJobStore.builder(file).build());
        assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
        assertTrue(e.getMessage().contains("supports up to 1"), e.getMessage());
        assertTrue(e.getMessage().contains("upgrade Stepwise"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
        // The refused open changed nothing.
        assertEquals(List.of("99"), column(file, "SELECT version FROM schema_version"));
    }

    @Test
    void badSettingsAreRejected() {
        SqliteJobStore.Builder b = SqliteJobStore.builder(dir.resolve("x.db"));
        assertThrows(IllegalArgumentException.class, () -> b.readPoolSize(0));
        assertThrows(IllegalArgumentException.class, () -> b.walCheckpointEvery(0));
        assertThrows(IllegalArgumentException.class, () -> b.busyTimeout(java.time.Duration.ofMillis(-1)));
    }

    static List<String> column(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
