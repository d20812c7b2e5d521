/**
 * Stepwise's contracts: what a step is ({@link dev.stepwise.engine.api.Step}), what it sees
 * ({@link dev.stepwise.engine.api.StepContext}), how a recipe is defined
 * ({@link dev.stepwise.engine.api.Recipe}), the persistence SPI
 * ({@link dev.stepwise.engine.api.JobStore}), the model records the store holds
 * ({@link dev.stepwise.engine.api.Job}, {@link dev.stepwise.engine.api.JobStep},
 * {@link dev.stepwise.engine.api.LogEntry}, {@link dev.stepwise.engine.api.Manifest}) and the
 * typed exceptions, all rooted at {@link dev.stepwise.engine.api.EngineException}.
 *
 * <p>The manifest's JSON Schema ships as the resource {@value Manifest#SCHEMA_RESOURCE}.
 */
package dev.stepwise.engine.api;
