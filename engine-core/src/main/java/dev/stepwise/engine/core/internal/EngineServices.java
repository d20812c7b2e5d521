package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.Validator;
import dev.stepwise.engine.core.JsonLimits;
import dev.stepwise.engine.core.RunListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * What a runner needs from its engine: the store, step registry, writers, clock, lease
 * settings, the heartbeat scheduler, the step executor, the schema cache and the handles of the
 * jobs running in this process. Built by name with {@link #builder()}; every field is required
 * unless its setter says otherwise.
 */
public final class EngineServices {
    private static final Logger LOG = LoggerFactory.getLogger(EngineServices.class);

    private final JobStore store;
    private final Map<String, Step> steps;
    private final List<ManifestWriter> writers;
    private final Clock clock;
    private final String runnerId;
    private final Duration leaseTtl;
    private final Duration heartbeatInterval;
    private final int maxInterruptions;
    private final Supplier<ScheduledExecutorService> heartbeats;
    private final ConcurrentHashMap<String, RunHandle> active = new ConcurrentHashMap<>();
    private final RunListener listener;
    private final Listeners events;
    private final SecretResolver secrets;
    private final int jobParallelism;
    private final Supplier<ExecutorService> stepExecutor;
    private final SchemaCache schemas;
    private final JsonGuard jsonGuard;
    private final ArtifactStore artifacts;
    private final Map<String, Validator> validators;

    private EngineServices(Builder b) {
        this.store = Objects.requireNonNull(b.store, "store");
        this.steps = Map.copyOf(b.steps);
        this.writers = List.copyOf(b.writers);
        this.clock = Objects.requireNonNull(b.clock, "clock");
        this.runnerId = Objects.requireNonNull(b.runnerId, "runnerId");
        this.leaseTtl = Objects.requireNonNull(b.leaseTtl, "leaseTtl");
        this.heartbeatInterval = Objects.requireNonNull(b.heartbeatInterval, "heartbeatInterval");
        this.maxInterruptions = b.maxInterruptions;
        this.heartbeats = Objects.requireNonNull(b.heartbeats, "heartbeats");
        this.listener = Objects.requireNonNull(b.listener, "listener");
        this.events = Objects.requireNonNull(b.events, "events");
        this.secrets = Objects.requireNonNull(b.secrets, "secrets");
        this.jobParallelism = b.jobParallelism;
        this.stepExecutor = Objects.requireNonNull(b.stepExecutor, "stepExecutor");
        this.schemas = Objects.requireNonNull(b.schemas, "schemas");
        this.jsonGuard = Objects.requireNonNull(b.jsonGuard, "jsonGuard");
        this.artifacts = Objects.requireNonNull(b.artifacts, "artifacts");
        this.validators = Map.copyOf(b.validators);
    }

    /** @return where steps keep artifacts */
    public ArtifactStore artifacts() {
        return artifacts;
    }

    /** @return validators by type name: the built-in ones and the host's */
    public Map<String, Validator> validators() {
        return validators;
    }

    /** @return a builder with no fields set */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the store */
    public JobStore store() {
        return store;
    }

    /** @return step implementations by type */
    public Map<String, Step> steps() {
        return steps;
    }

    /** @return the manifest writers */
    public List<ManifestWriter> writers() {
        return writers;
    }

    /** @return the engine's clock */
    public Clock clock() {
        return clock;
    }

    /** @return this engine's runner id (lease owner) */
    public String runnerId() {
        return runnerId;
    }

    /** @return lease time-to-live */
    public Duration leaseTtl() {
        return leaseTtl;
    }

    /** @return heartbeat interval */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** @return poison-pill limit */
    public int maxInterruptions() {
        return maxInterruptions;
    }

    /** @return the heartbeat scheduler, created on first use */
    public Supplier<ScheduledExecutorService> heartbeats() {
        return heartbeats;
    }

    /** @return handles of the jobs running in this process, by job id */
    public ConcurrentHashMap<String, RunHandle> active() {
        return active;
    }

    /** @return test and observability hooks */
    public RunListener listener() {
        return listener;
    }

    /** @return the engine's event listeners (observation), called so that none can change a job */
    public Listeners events() {
        return events;
    }

    /** @return resolves secret references in config */
    public SecretResolver secrets() {
        return secrets;
    }

    /** @return most steps of one job running at once */
    public int jobParallelism() {
        return jobParallelism;
    }

    /** @return runs steps off the runner's thread (timeouts, parallel steps, workers), created on first use */
    public Supplier<ExecutorService> stepExecutor() {
        return stepExecutor;
    }

    /** @return this engine's compiled JSON Schemas (recipe input and step output checks) */
    public SchemaCache schemas() {
        return schemas;
    }

    /** @return checks inputs and step outputs against the engine's JSON limits */
    public JsonGuard jsonGuard() {
        return jsonGuard;
    }

    /** @return the clock's time, truncated to milliseconds (what the store keeps) */
    public Instant nowMillis() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * Hands a committed manifest to every writer; a failing writer is logged, not fatal.
     *
     * @param job      the job as committed
     * @param manifest its manifest
     */
    public void publish(Job job, JsonNode manifest) {
        for (ManifestWriter w : writers) {
            try {
                w.write(job, manifest);
            } catch (Exception e) {
                LOG.error("manifest writer {} failed for job {}: {}", w, job.id(), e.toString(), e);
            }
        }
    }

    /** Sets the fields of {@link EngineServices} by name; every setter returns this builder. */
    public static final class Builder {
        private JobStore store;
        private Map<String, Step> steps = Map.of();
        private List<ManifestWriter> writers = List.of();
        private Clock clock;
        private String runnerId;
        private Duration leaseTtl;
        private Duration heartbeatInterval;
        private int maxInterruptions;
        private Supplier<ScheduledExecutorService> heartbeats;
        private RunListener listener = RunListener.NONE;
        private Listeners events = new Listeners(List.of());
        private SecretResolver secrets = Secrets.ENVIRONMENT;
        private int jobParallelism = 1;
        private Supplier<ExecutorService> stepExecutor;
        private SchemaCache schemas;
        private JsonGuard jsonGuard = new JsonGuard(JsonLimits.DEFAULTS);
        private ArtifactStore artifacts;
        private Map<String, Validator> validators = Map.of();

        private Builder() {
        }

        /** @param v the store @return this */
        public Builder store(JobStore v) { store = v; return this; }
        /** @param v step implementations by type (copied) @return this */
        public Builder steps(Map<String, Step> v) { steps = v; return this; }
        /** @param v manifest writers (copied; default none) @return this */
        public Builder writers(List<ManifestWriter> v) { writers = v; return this; }
        /** @param v the clock @return this */
        public Builder clock(Clock v) { clock = v; return this; }
        /** @param v the runner id (lease owner) @return this */
        public Builder runnerId(String v) { runnerId = v; return this; }
        /** @param v lease time-to-live @return this */
        public Builder leaseTtl(Duration v) { leaseTtl = v; return this; }
        /** @param v heartbeat interval @return this */
        public Builder heartbeatInterval(Duration v) { heartbeatInterval = v; return this; }
        /** @param v poison-pill limit @return this */
        public Builder maxInterruptions(int v) { maxInterruptions = v; return this; }
        /** @param v the heartbeat scheduler, asked for on first use @return this */
        public Builder heartbeats(Supplier<ScheduledExecutorService> v) { heartbeats = v; return this; }
        /** @param v run hooks (default none) @return this */
        public Builder listener(RunListener v) { listener = v; return this; }
        /** @param v engine event listeners (default none) @return this */
        public Builder events(Listeners v) { events = v; return this; }
        /** @param v secret resolver (default: the environment) @return this */
        public Builder secrets(SecretResolver v) { secrets = v; return this; }
        /** @param v most steps of one job at once (default 1) @return this */
        public Builder jobParallelism(int v) { jobParallelism = v; return this; }
        /** @param v the step executor, asked for on first use @return this */
        public Builder stepExecutor(Supplier<ExecutorService> v) { stepExecutor = v; return this; }
        /** @param v the engine's schema cache @return this */
        public Builder schemas(SchemaCache v) { schemas = v; return this; }
        /** @param v the JSON limits' checker (default: {@link JsonLimits#DEFAULTS}) @return this */
        public Builder jsonGuard(JsonGuard v) { jsonGuard = v; return this; }
        /** @param v where steps keep artifacts @return this */
        public Builder artifacts(ArtifactStore v) { artifacts = v; return this; }
        /** @param v validators by type name (copied) @return this */
        public Builder validators(Map<String, Validator> v) { validators = v; return this; }

        /** @return the services @throws NullPointerException if a required field is missing */
        public EngineServices build() {
            return new EngineServices(this);
        }
    }
}
