package dev.stepwise.engine.api;

import java.util.Objects;

/**
 * Holds a secret (an API key) and removes it from any text passed on: an error body the service
 * echoed, an exception message. Its {@link #toString()} never shows the secret. For steps that
 * call outside services with a key resolved from a secret reference (see {@link SecretResolver});
 * shared by the provider modules.
 */
public final class Redactor {
    /** What a secret is replaced with. */
    public static final String MASK = "***";
    private final String secret;

    /** @param secret the secret, not blank */
    public Redactor(String secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.isBlank()) {
            throw new IllegalArgumentException("the secret must not be blank");
        }
        this.secret = secret;
    }

    /** @return the secret, to hand to the client that sends it */
    public String secret() {
        return secret;
    }

    /**
     * @param text any text, or null
     * @return the text with every occurrence of the secret replaced by {@value #MASK} (null stays null)
     */
    public String redact(String text) {
        return text == null ? null : text.replace(secret, MASK);
    }

    @Override
    public String toString() {
        return "Redactor[" + MASK + "]";
    }
}
