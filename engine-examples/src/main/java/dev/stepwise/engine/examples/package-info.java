/**
 * The example host app: {@link dev.stepwise.engine.examples.StepwiseCli}, the command line of
 * the README's main job, and {@link dev.stepwise.engine.examples.EmbeddingExample}, the
 * README's embedding example.
 */
package dev.stepwise.engine.examples;
