/**
 * Internals of the engine (the runner, canonical JSON and hashing, schemas, secrets,
 * manifests). Not API: they change without notice.
 */
package dev.stepwise.engine.core.internal;
