package dev.stepwise.engine.core.contract;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every contract suite shares: a fresh store per test in its own temporary directory, and
 * engines that are closed after the test. A store module implements {@link #openStore(Path)}.
 */
public abstract class StoreContractBase {
    /** A temporary directory per test (a durable store keeps its files here). */
    @TempDir
    protected Path dir;

    /** The store under test. */
    protected JobStore store;

    private final List<JobEngine> engines = new ArrayList<>();

    /**
     * Opens the store under test.
     *
     * @param dir an empty temporary directory
     * @return the store, keeping its files in {@code dir}
     */
    protected abstract JobStore openStore(Path dir);

    @BeforeEach
    void openStoreUnderTest() {
        store = openStore(dir);
    }

    @AfterEach
    void closeStoreUnderTest() {
        engines.forEach(JobEngine::close);
        store.close();
    }

    /**
     * @param engine an engine
     * @return it, closed after the test
     */
    protected JobEngine track(JobEngine engine) {
        engines.add(engine);
        return engine;
    }

    /**
     * @param builder an engine builder
     * @return the built engine, closed after the test
     */
    protected JobEngine track(JobEngineBuilder builder) {
        return track(builder.build());
    }
}
