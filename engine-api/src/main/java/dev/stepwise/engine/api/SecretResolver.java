package dev.stepwise.engine.api;

/**
 * Resolves secret references such as {@code {"secret": "env:ANTHROPIC_API_KEY"}} held in
 * provider config. Stepwise stores and snapshots only the reference; the value is resolved
 * when a step asks for its provider, and is never written to a manifest, a log or an error.
 */
@FunctionalInterface
public interface SecretResolver {

    /**
     * @param reference the reference, e.g. {@code env:ANTHROPIC_API_KEY}
     * @return the secret value
     * @throws IllegalArgumentException if the reference cannot be resolved; the message must
     *                                  name the reference, never a value
     */
    String resolve(String reference);
}
