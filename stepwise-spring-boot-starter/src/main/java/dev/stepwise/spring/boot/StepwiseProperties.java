package dev.stepwise.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code stepwise.*} properties. Every record validates itself when Spring Boot binds it: a
 * bad value fails start-up with a message that names the property (for example
 * {@code stepwise.workers.count must be >= 1, was -1}); a value of the wrong type (an unknown
 * {@code stepwise.store}, a {@code stepwise.workers.shutdown-grace} that is not a duration)
 * fails in Spring Boot's binder, whose message names the property too.
 *
 * @param store     Which store the engine uses: auto (PostgreSQL when the application's DataSource
 *                  is PostgreSQL and engine-postgres is on the classpath, else SQLite), sqlite or
 *                  postgres.
 * @param sqlite    The SQLite store.
 * @param postgres  The PostgreSQL store.
 * @param recipes   The recipe files published at start-up.
 * @param engine    The engine's settings.
 * @param workers   The workers started and stopped with the application context.
 * @param dashboard The web dashboard (module engine-dashboard).
 */
@ConfigurationProperties(StepwiseProperties.PREFIX)
public record StepwiseProperties(
        @DefaultValue("auto") StoreType store,
        @DefaultValue Sqlite sqlite,
        @DefaultValue Postgres postgres,
        @DefaultValue Recipes recipes,
        @DefaultValue Engine engine,
        @DefaultValue Workers workers,
        @DefaultValue Dashboard dashboard) {

    /** The prefix of every property: {@value}. */
    public static final String PREFIX = "stepwise";

    /** Requires every group (Spring Boot gives each its defaults when none is set). */
    public StepwiseProperties {
        Objects.requireNonNull(store, "stepwise.store");
        Objects.requireNonNull(sqlite, "stepwise.sqlite");
        Objects.requireNonNull(postgres, "stepwise.postgres");
        Objects.requireNonNull(recipes, "stepwise.recipes");
        Objects.requireNonNull(engine, "stepwise.engine");
        Objects.requireNonNull(workers, "stepwise.workers");
        Objects.requireNonNull(dashboard, "stepwise.dashboard");
    }

    /** Which {@code JobStore} the auto-configuration builds (unless the application defines one). */
    public enum StoreType {
        /** PostgreSQL on the application's {@code DataSource} if it is PostgreSQL and engine-postgres is present, else SQLite. */
        AUTO,
        /** A SQLite file at {@code stepwise.sqlite.path}, whatever the application's {@code DataSource}. */
        SQLITE,
        /** PostgreSQL on the application's {@code DataSource}; start-up fails if there is none or engine-postgres is missing. */
        POSTGRES
    }

    /**
     * The SQLite store.
     *
     * @param path The SQLite database file, created with its folder if missing (relative to the
     *             working directory).
     */
    public record Sqlite(@DefaultValue("stepwise.db") Path path) {
        /** Requires a path. */
        public Sqlite {
            Objects.requireNonNull(path, "stepwise.sqlite.path");
            if (path.toString().isBlank()) {
                throw new IllegalArgumentException("stepwise.sqlite.path must name a file, was blank");
            }
        }
    }

    /**
     * The PostgreSQL store on the application's {@code DataSource}.
     *
     * @param schema The schema holding Stepwise's tables on the application's PostgreSQL
     *               DataSource, created if missing (1-63 characters of a-z, 0-9 and '_', not
     *               starting with a digit).
     */
    public record Postgres(@DefaultValue("stepwise") String schema) {
        /** Checks the schema name's form. */
        public Postgres {
            if (schema == null || !schema.matches("[a-z_][a-z0-9_]{0,62}")) {
                throw new IllegalArgumentException("stepwise.postgres.schema must be 1-63 characters of a-z, 0-9 and '_',"
                        + " not starting with a digit, was '" + schema + "'");
            }
        }
    }

    /**
     * The recipe files published when the engine starts (a file whose content the store already
     * holds, in any version, publishes nothing). A recipe that is not valid fails start-up with
     * the engine's message, which lists every problem.
     *
     * @param locations Spring resource patterns of the recipe JSON files published at start-up
     *                  (a pattern may match nothing; a plain location must exist).
     */
    public record Recipes(@DefaultValue(DEFAULT_LOCATION) List<String> locations) {
        /** Default of {@code stepwise.recipes.locations}: {@value}. */
        public static final String DEFAULT_LOCATION = "classpath*:stepwise/recipes/*.json";

        /** Copies the list. */
        public Recipes {
            locations = List.copyOf(Objects.requireNonNull(locations, "stepwise.recipes.locations"));
        }
    }

    /**
     * The engine's settings (see {@code JobEngineBuilder}).
     *
     * @param leaseTtl          How long a runner that stops heartbeating keeps its job.
     * @param heartbeatInterval How often a running job's lease is renewed (shorter than the
     *                          lease TTL).
     * @param maxInterruptions  How often a step's process may die before the step fails the job.
     * @param jobParallelism    Most steps of one job running at once.
     * @param recoverOnStart    Whether start-up hands orphaned jobs (expired leases) back as
     *                          pending.
     */
    public record Engine(
            @DefaultValue("30s") Duration leaseTtl,
            @DefaultValue("10s") Duration heartbeatInterval,
            @DefaultValue("5") int maxInterruptions,
            @DefaultValue("4") int jobParallelism,
            @DefaultValue("true") boolean recoverOnStart) {
        /** Checks the ranges. */
        public Engine {
            positive(leaseTtl, "stepwise.engine.lease-ttl");
            positive(heartbeatInterval, "stepwise.engine.heartbeat-interval");
            if (heartbeatInterval.compareTo(leaseTtl) >= 0) {
                throw new IllegalArgumentException("stepwise.engine.heartbeat-interval must be shorter than"
                        + " stepwise.engine.lease-ttl (" + leaseTtl + "), was " + heartbeatInterval);
            }
            atLeast(maxInterruptions, 0, "stepwise.engine.max-interruptions");
            atLeast(jobParallelism, 1, "stepwise.engine.job-parallelism");
        }
    }

    /**
     * The workers: started when the application context has started, stopped gracefully when it
     * closes (running steps get {@code shutdown-grace} to finish; unfinished jobs go back to
     * pending with their lease released).
     *
     * @param enabled       Whether this application runs workers.
     * @param count         Worker loops, each running one job at a time.
     * @param pollInterval  How often an idle worker looks for runnable jobs.
     * @param shutdownGrace How long running steps get to finish when the context closes.
     * @param recipeLimits  Per recipe slug, the most jobs of it running at once across every
     *                      worker on the store.
     */
    public record Workers(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("1") int count,
            @DefaultValue("500ms") Duration pollInterval,
            @DefaultValue("30s") Duration shutdownGrace,
            Map<String, Integer> recipeLimits) {
        /** Checks the ranges. */
        public Workers {
            atLeast(count, 1, "stepwise.workers.count");
            positive(pollInterval, "stepwise.workers.poll-interval");
            Objects.requireNonNull(shutdownGrace, "stepwise.workers.shutdown-grace");
            if (shutdownGrace.isNegative()) {
                throw new IllegalArgumentException("stepwise.workers.shutdown-grace must be >= 0, was " + shutdownGrace);
            }
            recipeLimits = recipeLimits == null ? Map.of() : Map.copyOf(recipeLimits);
            recipeLimits.forEach((slug, limit) -> atLeast(limit, 1, "stepwise.workers.recipe-limits." + slug));
        }
    }

    /**
     * The web dashboard, served when {@code enabled} and engine-dashboard is on the classpath.
     *
     * @param enabled     Whether to serve the dashboard (needs engine-dashboard on the classpath).
     * @param port        The dashboard's TCP port (0 = any free port).
     * @param bindAddress The address the dashboard listens on; any other than loopback needs a
     *                    token.
     * @param token       The bearer token the dashboard's API requires (at least 16 characters).
     */
    public record Dashboard(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("7070") int port,
            @DefaultValue("127.0.0.1") String bindAddress,
            String token) {
        /** Checks the port and the token's length. */
        public Dashboard {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("stepwise.dashboard.port must be 0-65535, was " + port);
            }
            Objects.requireNonNull(bindAddress, "stepwise.dashboard.bind-address");
            if (token != null && token.strip().length() < MIN_TOKEN_LENGTH) {
                throw new IllegalArgumentException("stepwise.dashboard.token must have at least " + MIN_TOKEN_LENGTH
                        + " characters, had " + token.strip().length());
            }
        }

        /** The shortest token the dashboard accepts: {@value} characters. */
        public static final int MIN_TOKEN_LENGTH = 16;
    }

    private static void positive(Duration d, String property) {
        Objects.requireNonNull(d, property);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(property + " must be positive, was " + d);
        }
    }

    private static void atLeast(int value, int min, String property) {
        if (value < min) {
            throw new IllegalArgumentException(property + " must be >= " + min + ", was " + value);
        }
    }
}
