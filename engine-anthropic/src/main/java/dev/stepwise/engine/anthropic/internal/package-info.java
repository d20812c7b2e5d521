/** Internals of the Claude step: settings read from config, error mapping, redaction. Not an API. */
package dev.stepwise.engine.anthropic.internal;
