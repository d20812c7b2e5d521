package dev.stepwise.engine.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class SqlitePragmasTest {
    @TempDir
    Path dir;

    @Test
    void defaultsOnWriterAndEveryReadConnection() {
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("a.db")).build()) {
            Map<String, String> expected = Map.of("journal_mode", "wal", "busy_timeout", "30000", "foreign_keys", "1",
                    "synchronous", "2");
            assertEquals(expected, store.pragmas());
            List<Map<String, String>> reads = store.readPoolPragmas(SqliteJobStore.DEFAULT_READ_POOL_SIZE);
            assertEquals(SqliteJobStore.DEFAULT_READ_POOL_SIZE, reads.size());
            reads.forEach(p -> assertEquals(expected, p));
        }
    }

    @Test
    void configuredValuesOnWriterAndEveryReadConnection() {
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("b.db"))
                .busyTimeout(Duration.ofMillis(1500))
                .synchronous(Synchronous.NORMAL)
                .readPoolSize(3)
                .build()) {
            Map<String, String> expected = Map.of("journal_mode", "wal", "busy_timeout", "1500", "foreign_keys", "1",
                    "synchronous", "1");
            assertEquals(expected, store.pragmas());
            List<Map<String, String>> reads = store.readPoolPragmas(3);
            assertEquals(3, reads.size());
            reads.forEach(p -> assertEquals(expected, p));
        }
    }

    @Test
    void dataSourceVariantAppliesPragmasItself() {
        SQLiteDataSource plain = new SQLiteDataSource();
        plain.setUrl("jdbc:sqlite:" + dir.resolve("c.db"));
        try (SqliteJobStore store = SqliteJobStore.builder(plain)
                .busyTimeout(Duration.ofSeconds(7))
                .synchronous(Synchronous.NORMAL)
                .build()) {
            Map<String, String> expected = Map.of("journal_mode", "wal", "busy_timeout", "7000", "foreign_keys", "1",
                    "synchronous", "1");
            assertEquals(expected, store.pragmas());
            store.readPoolPragmas(3).forEach(p -> assertEquals(expected, p));
            store.insertJob(Fixtures.job("J1"), Fixtures.steps("J1", 2), List.of(Fixtures.log("J1", "hi")));
            assertEquals(2, store.findSteps("J1").size());
        }
    }
}
