/** Internals of the Azure speech step: settings, SSML, sentence splitting, WAV joining, errors. Not an API. */
package dev.stepwise.engine.azure.speech.internal;
