package dev.stepwise.engine.core;

import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.Validator;
import dev.stepwise.engine.core.internal.EngineServices;
import dev.stepwise.engine.core.internal.EngineThreads;
import dev.stepwise.engine.core.internal.Json;
import dev.stepwise.engine.core.internal.JsonGuard;
import dev.stepwise.engine.core.internal.Listeners;
import dev.stepwise.engine.core.internal.SchemaCache;
import dev.stepwise.engine.core.internal.Secrets;
import dev.stepwise.engine.core.internal.validation.AudioValidator;
import dev.stepwise.engine.core.internal.validation.SchemaValidator;
import dev.stepwise.engine.core.internal.validation.TextValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Builds a {@link JobEngine}: got from {@link JobEngine#builder(JobStore)}; settings are
 * validated by {@link #build()}. Every default is a {@code DEFAULT_*} constant of
 * {@link JobEngine}. Not thread-safe.
 *
 * <pre>{@code
 * JobEngine engine = JobEngine.builder(store)
 *     .step("count-words", new CountWords())
 *     .recipe(Recipe.builder("wordcount").step("count", "count-words").build())
 *     .build();
 * }</pre>
 */
public final class JobEngineBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(JobEngine.class);

    private final JobStore store;
    private final Map<String, Step> steps = new LinkedHashMap<>();
    /** Validator types the engine brings; a host cannot register these names. */
    private static final java.util.Set<String> BUILT_IN_VALIDATORS = java.util.Set.of("json_schema", "text", "audio");
    private final Map<String, Validator> validators = new LinkedHashMap<>();
    private Optional<ArtifactStore> artifacts = Optional.empty();
    private final List<JsonNode> recipeSeeds = new ArrayList<>();
    private final List<JsonNode> recipeFileSeeds = new ArrayList<>();
    private final List<RecipeCatalog.ConfigSeed> configSeeds = new ArrayList<>();
    private final List<ManifestWriter> writers = new ArrayList<>();
    private SecretResolver secretResolver = Secrets.ENVIRONMENT;
    private int jobParallelism = JobEngine.DEFAULT_JOB_PARALLELISM;
    private Optional<ExecutorService> stepExecutor = Optional.empty();
    private Clock clock = Clock.systemUTC();
    private Optional<String> runnerId = Optional.empty();
    private Duration leaseTtl = JobEngine.DEFAULT_LEASE_TTL;
    private Duration heartbeatInterval = JobEngine.DEFAULT_HEARTBEAT_INTERVAL;
    private JsonLimits jsonLimits = JsonLimits.DEFAULTS;
    private int maxInterruptions = JobEngine.DEFAULT_MAX_INTERRUPTIONS;
    private boolean recoverOnStart = JobEngine.DEFAULT_RECOVER_ON_START;
    private RunListener listener = RunListener.NONE;
    private final List<EngineListener> eventListeners = new ArrayList<>();

    JobEngineBuilder(JobStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * Registers an output validator under a type name, for step definitions to list
     * ({@code "validators": [{"type": "...", ...}]}). Built in: {@code json_schema}, {@code text},
     * {@code audio}.
     *
     * @param type      the name step definitions use
     * @param validator the implementation
     * @return this
     * @throws IllegalArgumentException if the name is taken
     */
    public JobEngineBuilder validator(String type, Validator validator) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(validator, "validator");
        if (BUILT_IN_VALIDATORS.contains(type) || validators.putIfAbsent(type, validator) != null) {
            throw new IllegalArgumentException("validator type '" + type + "' is registered twice (or is built in)");
        }
        return this;
    }

    /**
     * Where steps keep artifacts (default: a {@link FileArtifactStore} next to the SQLite database,
     * {@code <db file>-artifacts/}, or under the temp directory for a store without a file).
     *
     * @param store the artifact store
     * @return this
     */
    public JobEngineBuilder artifacts(ArtifactStore store) {
        this.artifacts = Optional.of(Objects.requireNonNull(store, "store"));
        return this;
    }


    /**
     * Registers a step implementation under a type name.
     *
     * @param type the name recipes use
     * @param step the implementation
     * @return this
     * @throws IllegalArgumentException if the type is registered already
     */
    public JobEngineBuilder step(String type, Step step) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(step, "step");
        if (steps.putIfAbsent(type, step) != null) {
            throw new IllegalArgumentException("step type '" + type + "' is registered twice");
        }
        return this;
    }

    /**
     * Seeds a recipe: {@link #build()} publishes it, unless a stored version (any, not only the
     * latest) has the same content, so seeding at every start-up never undoes a newer version
     * published since.
     *
     * @param recipe the recipe (its version is ignored)
     * @return this
     */
    public JobEngineBuilder recipe(Recipe recipe) {
        recipeSeeds.add(Objects.requireNonNull(recipe, "recipe").toJson());
        return this;
    }

    /**
     * Seeds every {@code *.json} recipe file of a directory (in name order), or one file.
     *
     * @param path a directory or a file
     * @return this
     * @throws java.io.UncheckedIOException if it cannot be read
     * @throws IllegalArgumentException     if a file is not JSON
     */
    public JobEngineBuilder recipes(Path path) {
        try {
            List<Path> files;
            if (Files.isDirectory(path)) {
                try (var list = Files.list(path)) {
                    files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
                }
            } else {
                files = List.of(path);
            }
            for (Path f : files) {
                recipeFileSeeds.add(readJson(Files.readString(f), f.toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recipes from " + path + ": " + e.getMessage(), e);
        }
        return this;
    }

    /**
     * Seeds a recipe from a classpath resource.
     *
     * @param resource an absolute resource name, e.g. {@code /recipes/wordcount.json}
     * @return this
     * @throws IllegalArgumentException if it is missing or not JSON
     */
    public JobEngineBuilder recipeResource(String resource) {
        try (InputStream in = JobEngine.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("recipe resource " + resource + " is not on the classpath");
            }
            recipeFileSeeds.add(readJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recipe resource " + resource, e);
        }
        return this;
    }

    /**
     * Seeds a recipe given as its JSON document, read by the host from wherever it keeps it
     * (e.g. the Spring Boot starter's {@code classpath:stepwise/recipes/*.json}). Validated and
     * published at {@link #build()} like the files of {@link #recipes(Path)}.
     *
     * @param document the recipe JSON (see {@link Recipe})
     * @return this
     */
    public JobEngineBuilder recipeJson(JsonNode document) {
        recipeFileSeeds.add(Objects.requireNonNull(document, "document"));
        return this;
    }

    private static JsonNode readJson(String text, String where) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Seeds a config entry: {@link #build()} sets it (before the recipes, which may refer to it),
     * unless a stored version of it already has this value.
     *
     * @param kind  prompt, preset, provider or voice
     * @param key   its key (checked at {@link #build()}, as {@link RecipeCatalog#putConfig} checks it)
     * @param value its value (checked at {@link #build()})
     * @return this
     */
    public JobEngineBuilder config(DocumentKind kind, String key, JsonNode value) {
        configSeeds.add(new RecipeCatalog.ConfigSeed(kind, key, value));
        return this;
    }

    /**
     * @param n most steps of one job running at once, for recipes with {@code dependsOn}
     *          (default {@value JobEngine#DEFAULT_JOB_PARALLELISM})
     * @return this
     */
    public JobEngineBuilder jobParallelism(int n) {
        this.jobParallelism = n;
        return this;
    }

    /**
     * @param executor runs steps off the runner's thread (steps with a timeout, parallel
     *                 steps, steps run by workers); it must not bound the number of tasks
     *                 below workers x job parallelism. Default: an internal cached pool of
     *                 daemon threads {@code stepwise-step-N}. The host shuts it down.
     * @return this
     */
    public JobEngineBuilder stepExecutor(ExecutorService executor) {
        this.stepExecutor = Optional.of(Objects.requireNonNull(executor, "executor"));
        return this;
    }

    /**
     * @param resolver resolves secret references in provider config (default: {@code env:NAME}
     *                 from the environment)
     * @return this
     */
    public JobEngineBuilder secretResolver(SecretResolver resolver) {
        this.secretResolver = Objects.requireNonNull(resolver, "resolver");
        return this;
    }

    /** @param writer receives manifests at start and at the terminal state @return this */
    public JobEngineBuilder manifestWriter(ManifestWriter writer) {
        writers.add(Objects.requireNonNull(writer, "writer"));
        return this;
    }

    /** @param clock the time source (default: system UTC) @return this */
    public JobEngineBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /** @param runnerId lease owner id (default: host name, pid and a random suffix) @return this */
    public JobEngineBuilder runnerId(String runnerId) {
        this.runnerId = Optional.of(Objects.requireNonNull(runnerId, "runnerId"));
        return this;
    }

    /** @param ttl lease time-to-live (default {@link JobEngine#DEFAULT_LEASE_TTL}) @return this */
    public JobEngineBuilder leaseTtl(Duration ttl) {
        this.leaseTtl = Objects.requireNonNull(ttl, "ttl");
        return this;
    }

    /** @param interval heartbeat interval (default {@link JobEngine#DEFAULT_HEARTBEAT_INTERVAL}) @return this */
    public JobEngineBuilder heartbeatInterval(Duration interval) {
        this.heartbeatInterval = Objects.requireNonNull(interval, "interval");
        return this;
    }

    /** @param max poison-pill limit (default {@value JobEngine#DEFAULT_MAX_INTERRUPTIONS}) @return this */
    public JobEngineBuilder maxInterruptions(int max) {
        this.maxInterruptions = max;
        return this;
    }

    /**
     * How deep and large job inputs and step outputs may be (default {@link JsonLimits#DEFAULTS}:
     * 1,000 levels, 16 MiB).
     *
     * @param limits the limits
     * @return this
     */
    public JobEngineBuilder jsonLimits(JsonLimits limits) {
        this.jsonLimits = Objects.requireNonNull(limits, "limits");
        return this;
    }

    /**
     * @param recover whether {@link #build()} recovers orphaned jobs (default true)
     * @return this
     */
    public JobEngineBuilder recoverOnStart(boolean recover) {
        this.recoverOnStart = recover;
        return this;
    }

    /**
     * Hooks into runs (tests use it to halt at named points; hosts for observability).
     *
     * @param listener the listener
     * @return this
     */
    public JobEngineBuilder listener(RunListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Adds a listener of engine events (runs, step attempts, reuse, retries, lease losses,
     * recoveries, poison pills): how observation modules such as engine-micrometer hook in.
     * Several may be added; they are called in the order added. A listener that throws is
     * logged and ignored (see {@link EngineListener}).
     *
     * @param listener the listener
     * @return this
     */
    public JobEngineBuilder eventListener(EngineListener listener) {
        eventListeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Validates the settings, publishes the seeded config and recipes (see
     * {@link RecipeCatalog}) and recovers orphaned jobs unless turned off.
     *
     * @return the engine
     * @throws IllegalArgumentException if a setting is out of range
     * @throws InvalidRecipeException   if a seeded recipe or config entry is not valid
     */
    public JobEngine build() {
        if (leaseTtl.isNegative() || leaseTtl.isZero()) {
            throw new IllegalArgumentException("leaseTtl must be positive, was " + leaseTtl);
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || heartbeatInterval.compareTo(leaseTtl) >= 0) {
            throw new IllegalArgumentException("heartbeatInterval must be positive and shorter than leaseTtl ("
                    + leaseTtl + "), was " + heartbeatInterval);
        }
        if (jobParallelism < 1) {
            throw new IllegalArgumentException("jobParallelism must be >= 1, was " + jobParallelism);
        }
        if (maxInterruptions < 0) {
            throw new IllegalArgumentException("maxInterruptions must be >= 0, was " + maxInterruptions);
        }
        String runner = runnerId.orElseGet(
                () -> ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8));
        EngineThreads threads = new EngineThreads(stepExecutor);
        SchemaCache schemas = new SchemaCache();
        EngineServices services = EngineServices.builder()
                .store(store)
                .steps(steps)
                .writers(writers)
                .clock(clock)
                .runnerId(runner)
                .leaseTtl(leaseTtl)
                .heartbeatInterval(heartbeatInterval)
                .maxInterruptions(maxInterruptions)
                .heartbeats(threads::heartbeats)
                .listener(listener)
                .events(new Listeners(eventListeners))
                .secrets(secretResolver)
                .jobParallelism(jobParallelism)
                .stepExecutor(threads::stepExecutor)
                .schemas(schemas)
                .jsonGuard(new JsonGuard(jsonLimits))
                .artifacts(artifacts.orElseGet(() -> FileArtifactStore.at(store.artifactRoot()
                        .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"), "stepwise-artifacts")))))
                .validators(allValidators(schemas))
                .build();
        RecipeCatalog catalog = new RecipeCatalog(services);
        List<JsonNode> recipes = new ArrayList<>(recipeSeeds);
        recipes.addAll(recipeFileSeeds); // recipes built in code first, then files and resources
        catalog.seed(configSeeds, recipes);
        JobEngine engine = new JobEngine(services, threads, catalog);
        LOG.info("stepwise engine {}: {} step types, {} recipes seeded, leaseTtl={}, heartbeatInterval={}, maxInterruptions={}, store={}",
                runner, steps.size(), recipes.size(), leaseTtl, heartbeatInterval, maxInterruptions,
                store.getClass().getSimpleName());
        if (recoverOnStart) {
            engine.recover();
        }
        services.events().engineBuilt(engine);
        return engine;
    }

    private Map<String, Validator> allValidators(SchemaCache schemas) {
        Map<String, Validator> all = new LinkedHashMap<>();
        all.put("json_schema", new SchemaValidator(schemas));
        all.put("text", new TextValidator());
        all.put("audio", new AudioValidator());
        all.putAll(validators);
        return all;
    }
}
