/**
 * The {@code narration} example recipe: a script written by a provider (offline, or Claude), spoken
 * by a provider (a tone track, espeak-ng, or Azure), packaged as a JSON summary. The provider
 * documents' {@code type} decides which implementation runs ({@link
 * dev.stepwise.engine.examples.narration.ProviderSwitch}); {@link
 * dev.stepwise.engine.examples.narration.Narration} registers the steps.
 */
package dev.stepwise.engine.examples.narration;
