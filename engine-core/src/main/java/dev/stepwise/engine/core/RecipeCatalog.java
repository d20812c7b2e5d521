package dev.stepwise.engine.core;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.internal.EngineServices;
import dev.stepwise.engine.core.internal.Json;
import dev.stepwise.engine.core.internal.RecipeValidator;
import dev.stepwise.engine.core.internal.Secrets;
import dev.stepwise.engine.core.internal.Voices;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An engine's recipes and config as versioned documents in its store: publish and read
 * recipes, set and read config entries (prompts, presets, providers, voices). Reached with
 * {@link JobEngine#catalog()}; the builder's seeds are published through it at
 * {@link JobEngineBuilder#build()}.
 *
 * <pre>{@code
 * Recipe published = engine.catalog().publishRecipe(json);   // the next version, or the latest if unchanged
 * engine.catalog().putConfig(DocumentKind.PROMPT, "greeting-template", prompt);
 * }</pre>
 *
 * <p>Published versions never change; jobs already created keep the versions they
 * snapshotted. Thread-safe.
 */
public final class RecipeCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(RecipeCatalog.class);
    private static final Pattern CONFIG_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** Most parsed recipe versions kept per engine. */
    static final int PARSED_RECIPES = 256;

    private final EngineServices services;
    /**
     * Recipe versions already parsed, by slug, version and content hash: a version's document
     * never changes, so a job's creation reads the document (to find the latest version) but does
     * not parse and check it again (issue 15: no work at creation that can be done once per
     * recipe version). Least recently used first out.
     */
    private final Map<String, Recipe> parsed = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Recipe> eldest) {
            return size() > PARSED_RECIPES;
        }
    });

    RecipeCatalog(EngineServices services) {
        this.services = services;
    }

    /**
     * A config entry seeded by {@link JobEngineBuilder#config}; its key and value are checked
     * when it is set, as {@link #putConfig} checks them.
     *
     * @param kind  prompt, preset, provider or voice
     * @param key   its key
     * @param value its value
     */
    record ConfigSeed(DocumentKind kind, String key, JsonNode value) {
        ConfigSeed {
            Objects.requireNonNull(kind, "kind");
        }
    }

    /**
     * Publishes the builder's seeds: config first (recipes may refer to it), then recipes. A
     * seed whose content equals ANY stored version (not only the latest) is a no-op, so seeding
     * at every start-up never undoes a version published since.
     */
    void seed(List<ConfigSeed> configs, List<JsonNode> recipes) {
        for (ConfigSeed c : configs) {
            putConfig(c.kind(), c.key(), c.value(), true);
        }
        for (JsonNode doc : recipes) {
            publishRecipe(doc, true);
        }
    }

    /**
     * Publishes a recipe document: validated (every problem listed), then stored as the next
     * version of its slug, or as nothing new if its content equals the latest version. A
     * {@code version} member in the document is ignored: the store assigns versions.
     *
     * @param document the recipe JSON (see {@link Recipe})
     * @return the published recipe, with its version
     * @throws InvalidRecipeException if it is not valid: bad shape, duplicate step keys, unknown
     *                                step types, an invalid schema, a missing config reference
     */
    public Recipe publishRecipe(JsonNode document) {
        return publishRecipe(document, false);
    }

    /**
     * Publishes a recipe built in code (its version is ignored: the store assigns it).
     *
     * @param recipe the recipe
     * @return the published recipe, with its version
     * @throws InvalidRecipeException if it is not valid
     */
    public Recipe publishRecipe(Recipe recipe) {
        return publishRecipe(recipe.toJson());
    }

    /**
     * @param seed when true, content equal to ANY stored version is a no-op (start-up seeding
     *             must not undo a newer publish); when false, only the latest version counts
     */
    private Recipe publishRecipe(JsonNode document, boolean seed) {
        Recipe recipe = RecipeValidator.validate(document, services);
        ObjectNode content = recipe.toJson();
        content.remove("version");
        String hash = Json.sha256(Json.canonical(content));
        if (seed) {
            Optional<VersionedDocument> same = sameContent(DocumentKind.RECIPE, recipe.slug(), hash);
            if (same.isPresent()) {
                return recipe.withVersion(same.get().version());
            }
        }
        VersionedDocument doc = services.store().publish(DocumentKind.RECIPE, recipe.slug(), content, hash, services.nowMillis());
        LOG.debug("recipe {} is at version {}", recipe.slug(), doc.version());
        return recipe.withVersion(doc.version());
    }

    /**
     * @param slug    a recipe slug
     * @param version a version, or null for the latest
     * @return that recipe version
     * @throws UnknownRecipeException if there is none
     */
    public Recipe recipe(String slug, Integer version) {
        return recipeOf(document(slug, version));
    }

    /**
     * The recipe a new job pins, parsed once per version for this engine (the returned instance is
     * shared by every job created from that version, so the engine never modifies it).
     *
     * @param slug    a recipe slug
     * @param version a version, or null for the latest
     * @return that recipe version
     * @throws UnknownRecipeException if there is none
     */
    Recipe forNewJob(String slug, Integer version) {
        VersionedDocument doc = document(slug, version);
        return parsed.computeIfAbsent(doc.key() + "@" + doc.version() + "#" + doc.contentHash(), k -> recipeOf(doc));
    }

    private VersionedDocument document(String slug, Integer version) {
        return services.store().findDocument(DocumentKind.RECIPE, slug, version)
                .orElseThrow(() -> new UnknownRecipeException(slug, version,
                        services.store().findDocuments(DocumentKind.RECIPE).stream().map(VersionedDocument::key).toList()));
    }

    /** @return the latest version of every published recipe, by slug */
    public List<Recipe> recipes() {
        return services.store().findDocuments(DocumentKind.RECIPE).stream().map(RecipeCatalog::recipeOf).toList();
    }

    /**
     * @param slug a recipe slug
     * @return every published version of it, oldest first
     */
    public List<Recipe> recipeVersions(String slug) {
        return services.store().findVersions(DocumentKind.RECIPE, slug).stream().map(RecipeCatalog::recipeOf).toList();
    }

    /**
     * Sets a config entry: publishes its value as the next version of {@code kind/key}, or as
     * nothing new if it equals the latest. Jobs already created keep the version they
     * snapshotted. A voice must be {@code {"provider", "name", "language"?, "style"?,
     * "prosody"?: {"rate"?, "pitch"?, "volume"?}}} with no other fields (every problem is listed). Fields that look like secrets ({@code api_key}, {@code token},
     * {@code password}, ...) must hold references such as {@code {"secret": "env:NAME"}}.
     *
     * @param kind  prompt, preset, provider or voice
     * @param key   the entry's key (1-64 letters, digits, {@code - _ .})
     * @param value its value
     * @return the stored version
     * @throws InvalidRecipeException if the entry is not valid (e.g. a literal secret)
     */
    public VersionedDocument putConfig(DocumentKind kind, String key, JsonNode value) {
        return putConfig(kind, key, value, false);
    }

    private VersionedDocument putConfig(DocumentKind kind, String key, JsonNode value, boolean seed) {
        List<String> problems = new ArrayList<>();
        if (!kind.isConfig()) {
            problems.add("kind must be prompt, preset, provider or voice, was " + kind + " (publish recipes with publishRecipe)");
        }
        if (key == null || !CONFIG_KEY.matcher(key).matches()) {
            problems.add("config key '" + key + "' is invalid: use 1-64 letters, digits, '-', '_' or '.'");
        }
        if (value == null || value.isNull() || value.isMissingNode()) {
            problems.add("a config value must be JSON, was nothing");
        } else {
            if (kind == DocumentKind.VOICE) {
                problems.addAll(Voices.problems(value));
            }
            for (String path : Secrets.literalSecrets(value)) {
                problems.add(path + " looks like a secret but holds a literal value; store a reference such as "
                        + "{\"secret\": \"env:NAME\"} instead");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidRecipeException(kind + "/" + key, problems);
        }
        String hash = Json.sha256(Json.canonical(value));
        if (seed) {
            Optional<VersionedDocument> same = sameContent(kind, key, hash);
            if (same.isPresent()) {
                return same.get();
            }
        }
        return services.store().publish(kind, key, value.deepCopy(), hash, services.nowMillis());
    }

    /**
     * @param kind    prompt, preset, provider or voice
     * @param key     the entry's key
     * @param version a version, or null for the latest
     * @return that version, or empty
     */
    public Optional<VersionedDocument> config(DocumentKind kind, String key, Integer version) {
        return services.store().findDocument(kind, key, version);
    }

    /**
     * @param kind prompt, preset, provider or voice
     * @return the latest version of every entry of that kind, by key
     */
    public List<VersionedDocument> configs(DocumentKind kind) {
        return services.store().findDocuments(kind);
    }

    private Optional<VersionedDocument> sameContent(DocumentKind kind, String key, String hash) {
        return services.store().findVersions(kind, key).stream().filter(d -> d.contentHash().equals(hash)).findFirst();
    }

    private static Recipe recipeOf(VersionedDocument doc) {
        return Recipe.fromJson(doc.content()).withVersion(doc.version());
    }
}
