package dev.stepwise.engine.api;

/** No recipe with this slug (and version, when one was named) is registered. */
public class UnknownRecipeException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String slug;
    private final Integer version;

    /**
     * @param slug    the slug asked for
     * @param version the version asked for, or null for the latest
     * @param known   the slugs that are known, for the message
     */
    public UnknownRecipeException(String slug, Integer version, java.util.Collection<String> known) {
        super("no recipe '" + slug + "'" + (version == null ? "" : " version " + version)
                + "; known recipes: " + (known.isEmpty() ? "(none)" : String.join(", ", known)));
        this.slug = slug;
        this.version = version;
    }

    /** @return the slug asked for */
    public String slug() {
        return slug;
    }

    /** @return the version asked for, or null when the latest was asked for */
    public Integer version() {
        return version;
    }
}
