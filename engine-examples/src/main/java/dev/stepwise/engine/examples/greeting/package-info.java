/**
 * The {@code greeting} example recipe: one step that reads a prompt from config, to show
 * config snapshots in the manifest.
 */
package dev.stepwise.engine.examples.greeting;
