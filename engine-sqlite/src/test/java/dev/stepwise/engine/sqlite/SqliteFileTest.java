package dev.stepwise.engine.sqlite;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Store-level tests on a fresh SQLite file per test: {@link #file} and its open {@link #store}. */
abstract class SqliteFileTest {
    @TempDir
    Path dir;
    Path file;
    SqliteJobStore store;

    @BeforeEach
    void open() {
        file = dir.resolve("stepwise.db");
        store = SqliteJobStore.builder(file).build();
    }

    @AfterEach
    void close() {
        store.close();
    }
}
