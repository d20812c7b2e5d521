/**
 * The example host app: {@link dev.stepwise.engine.examples.StepwiseCli}, the command line of
 * the README's main job (its entry point; one package-private class per command group and one
 * for parsing the command line); {@link dev.stepwise.engine.examples.Catalog}, the bundled
 * recipes and config it seeds into the database; and
 * {@link dev.stepwise.engine.examples.EmbeddingExample}, the README's embedding example.
 */
package dev.stepwise.engine.examples;
