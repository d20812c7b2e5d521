package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * One immutable version of a recipe or config entry, as the store keeps it. Publishing content
 * that differs from the latest version creates the next version; identical content (same
 * {@link #contentHash()}) is a no-op that returns the existing version.
 *
 * @param kind        recipe, prompt, preset, provider or voice
 * @param key         the recipe's slug or the entry's key
 * @param version     1, 2, 3 ... per kind and key
 * @param contentHash SHA-256 (hex) of the canonical JSON of the content
 * @param content     the document
 * @param createdAt   when this version was published
 */
public record VersionedDocument(DocumentKind kind, String key, int version, String contentHash, JsonNode content,
        Instant createdAt) {

    /** Validates the fields. */
    public VersionedDocument {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(createdAt, "createdAt");
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, was " + version);
        }
    }
}
