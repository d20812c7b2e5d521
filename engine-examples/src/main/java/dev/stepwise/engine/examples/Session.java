package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.EngineListener;
import dev.stepwise.engine.core.FileArtifactStore;
import dev.stepwise.engine.core.FileManifestWriter;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.examples.greeting.Greeting;
import dev.stepwise.engine.examples.narration.Narration;
import dev.stepwise.engine.examples.wordcount.WordCount;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;

/**
 * An open database and the CLI's engine on it: the example steps registered, the bundled
 * recipes and config seeded, manifests written beside the database, artifacts under
 * {@link Database#artifactRoot()}. Closing closes both.
 *
 * @param store  the store (SQLite or PostgreSQL)
 * @param engine the engine on it
 */
record Session(JobStore store, JobEngine engine) implements AutoCloseable {

    /**
     * @param db     the database
     * @param create whether a missing file is created (else it is a usage error)
     * @param clock  the engine's and the store's clock
     * @return the session
     * @throws UsageException if the file is missing and {@code create} is false
     */
    static Session open(Database db, boolean create, Clock clock) {
        return open(db, create, clock, store -> RunListener.NONE);
    }

    /**
     * @param db       the database
     * @param create   whether a missing file is created (else it is a usage error)
     * @param clock    the engine's and the store's clock
     * @param listener the engine's run listener, given the store
     * @return the session
     * @throws UsageException if the file is missing and {@code create} is false
     */
    static Session open(Database db, boolean create, Clock clock, Function<JobStore, RunListener> listener) {
        return open(db, create, clock, listener, List.of());
    }

    /**
     * @param db       the database
     * @param create   whether a missing file is created (else it is a usage error)
     * @param clock    the engine's and the store's clock
     * @param listener the engine's run listener, given the store
     * @param events   engine event listeners (observation: {@code worker --metrics-port})
     * @return the session
     * @throws UsageException if the file is missing and {@code create} is false
     */
    static Session open(Database db, boolean create, Clock clock, Function<JobStore, RunListener> listener,
            List<EngineListener> events) {
        if (!create && !db.exists()) {
            throw new UsageException("no database at " + db.describe() + "; run a job first or pass --db PATH");
        }
        Path dir = db.folder();
        JobStore store = db.open(clock);
        try {
            JobEngineBuilder b = JobEngine.builder(store)
                    .clock(clock)
                    .listener(listener.apply(store))
                    .manifestWriter(new FileManifestWriter(dir.resolve(StepwiseCli.MANIFEST_DIR)))
                    .artifacts(FileArtifactStore.at(db.artifactRoot()))
                    // Only 'resume' recovers orphaned jobs, so that reading commands never change a job
                    // (they may seed a bundled recipe or prompt the database does not hold yet).
                    .recoverOnStart(false);
            events.forEach(b::eventListener);
            WordCount.registerSteps(b, dir.resolve(StepwiseCli.REPORT_DIR));
            Greeting.registerSteps(b);
            Narration.registerSteps(b);
            // The bundled recipes and config, unless the database already holds their content.
            JobEngine engine = Catalog.seed(b, store).build();
            return new Session(store, engine);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            store.close();
        }
    }
}
