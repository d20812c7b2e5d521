package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.JobCancelledException;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.StepContext;
import dev.stepwise.engine.api.StepLogger;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.MessageFormatter;
import tools.jackson.databind.JsonNode;

/** The {@link StepContext} of one execution. */
public final class DefaultStepContext implements StepContext, StepLogger {
    private static final Logger LOG = LoggerFactory.getLogger("dev.stepwise.engine.step");

    private final String jobId;
    private final String stepKey;
    private final String stepType;
    private final int attempt;
    private final JsonNode input;
    private final JsonNode params;
    private final Map<String, JsonNode> outputs;
    private final String inputHash;
    private final RunHandle handle;
    private final Clock clock;
    private final JsonNode snapshots;
    private final SecretResolver secrets;
    private final Set<String> resolvedSecrets = ConcurrentHashMap.newKeySet();

    private final dev.stepwise.engine.api.ArtifactStore artifacts;

    /**
     * @param services  the engine: clock, secret resolver, artifact store
     * @param handle    the run's shared state (cancel, log buffer)
     * @param jobId     the job
     * @param def       the step's definition (key, type, params)
     * @param row       its row as it starts (attempt number, input hash)
     * @param input     the job input
     * @param outputs   the outputs of the steps it depends on (copied)
     * @param snapshots the job's snapshots (config as it was at creation)
     */
    public DefaultStepContext(EngineServices services, RunHandle handle, String jobId, dev.stepwise.engine.api.StepDefinition def,
            dev.stepwise.engine.api.JobStep row, JsonNode input, Map<String, JsonNode> outputs, JsonNode snapshots) {
        this.jobId = jobId;
        this.stepKey = def.key();
        this.stepType = def.type();
        this.attempt = row.attempts();
        this.input = input;
        this.params = def.params();
        this.outputs = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outputs));
        this.inputHash = row.inputHash();
        this.handle = handle;
        this.clock = services.clock();
        this.snapshots = snapshots;
        this.secrets = services.secrets();
        this.artifacts = services.artifacts();
    }

    @Override
    public dev.stepwise.engine.api.ArtifactStore artifacts() {
        return artifacts;
    }

    @Override
    public JsonNode config(DocumentKind kind, String key) {
        if (!kind.isConfig()) {
            throw new IllegalArgumentException("config kinds are prompt, preset, provider and voice, not " + kind);
        }
        JsonNode section = snapshots.path(kind.plural());
        JsonNode entry = section.get(key);
        if (entry == null) {
            List<String> known = new ArrayList<>(section.propertyNames());
            throw new IllegalArgumentException("step '" + stepKey + "' asked for " + kind + " '" + key
                    + "', which its recipe does not refer to; it refers to: " + (known.isEmpty() ? "none" : known));
        }
        return Secrets.resolve(entry.get("value"), secrets, resolvedSecrets);
    }

    /** @return the secret values this execution resolved (to keep them out of what is stored) */
    public Set<String> resolvedSecrets() {
        return resolvedSecrets;
    }

    @Override public String jobId() { return jobId; }
    @Override public String stepKey() { return stepKey; }
    @Override public String stepType() { return stepType; }
    @Override public int attempt() { return attempt; }
    @Override public JsonNode input() { return input; }
    @Override public JsonNode params() { return params; }
    @Override public Map<String, JsonNode> outputs() { return outputs; }
    @Override public String inputHash() { return inputHash; }
    @Override public String idempotencyKey() { return jobId + ":" + stepKey + ":" + inputHash; }
    @Override public StepLogger log() { return this; }
    @Override public Clock clock() { return clock; }

    @Override
    public JsonNode output(String key) {
        JsonNode out = outputs.get(key);
        if (out == null) {
            throw new IllegalArgumentException("step '" + stepKey + "' asked for the output of '" + key
                    + "', which is not an earlier step; earlier steps: " + outputs.keySet());
        }
        return out;
    }

    @Override
    public boolean isCancelled() {
        return handle.cancelRequested() || handle.isLeaseLost();
    }

    @Override
    public void throwIfCancelled() {
        if (isCancelled()) {
            throw new JobCancelledException(jobId);
        }
    }

    @Override public void debug(String format, Object... args) { append(LogLevel.DEBUG, format, args); }
    @Override public void info(String format, Object... args) { append(LogLevel.INFO, format, args); }
    @Override public void warn(String format, Object... args) { append(LogLevel.WARN, format, args); }
    @Override public void error(String format, Object... args) { append(LogLevel.ERROR, format, args); }

    private void append(LogLevel level, String format, Object... args) {
        String message = Secrets.redact(MessageFormatter.arrayFormat(format, args).getMessage(), resolvedSecrets);
        handle.log(new LogEntry(0, jobId, stepKey, attempt, clock.instant().truncatedTo(ChronoUnit.MILLIS), level, message));
        if (LOG.isDebugEnabled()) {
            LOG.debug("[{} {}#{}] {}: {}", jobId, stepKey, attempt, level.value(), message);
        }
    }
}
