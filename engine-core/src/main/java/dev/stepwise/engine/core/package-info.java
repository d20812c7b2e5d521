/**
 * The engine: {@link dev.stepwise.engine.core.JobEngine} (create, run, submit, cancel, retry,
 * recover, read back), built with {@link dev.stepwise.engine.core.JobEngineBuilder} from
 * {@code JobEngine.builder(store)}; {@link dev.stepwise.engine.core.RecipeCatalog} (recipes and
 * config as versioned documents, from {@code engine.catalog()});
 * {@link dev.stepwise.engine.core.Submitted} (what a submit did);
 * {@link dev.stepwise.engine.core.Workers} for the queue, the in-memory store for host tests
 * ({@link dev.stepwise.engine.core.InMemoryJobStore}), the atomic file manifest writer
 * ({@link dev.stepwise.engine.core.FileManifestWriter}) and manifest validation
 * ({@link dev.stepwise.engine.core.ManifestSchema}).
 *
 * <p>Types in {@code dev.stepwise.engine.core.internal} are not API.
 */
package dev.stepwise.engine.core;
