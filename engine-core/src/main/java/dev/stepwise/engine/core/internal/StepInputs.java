package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a run knows of its steps' inputs: the outputs produced or reused so far (and their
 * canonical JSON, computed once), and each step's input hash, fixed once its dependencies have
 * outputs.
 */
final class StepInputs {
    private final Map<String, JsonNode> outputs = new HashMap<>();
    private final Map<String, String> canonicalOutputs = new HashMap<>();
    private final Map<Integer, String> hashes = new HashMap<>();
    private String inputCanon;
    private String configCanon;

    /** A step succeeded: its output, with its canonical text. */
    void produced(String key, JsonNode output, String canonical) {
        outputs.put(key, output);
        canonicalOutputs.put(key, canonical);
    }

    /** A checkpoint was reused: its output (canonicalised when a hash needs it). */
    void reuse(String key, JsonNode output) {
        outputs.put(key, output);
        canonicalOutputs.remove(key);
    }

    /**
     * The input hash of step {@code i}: its key, type, implementation version and params, the job
     * input and the outputs of its dependencies; for a step declared {@code cache}, also the values
     * of the config entries the job snapshotted (see {@link #configCanon}).
     */
    String hash(int i, StepDefinition def, Step impl, Job job, List<Integer> deps, Recipe recipe) {
        String cached = hashes.get(i);
        if (cached != null) {
            return cached;
        }
        if (inputCanon == null) {
            inputCanon = Json.canonical(job.input());
        }
        Map<String, String> upstream = new HashMap<>();
        upstream(deps, recipe).forEach((k, out) -> upstream.put(k, canonicalOutputs.computeIfAbsent(k, key -> Json.canonical(out))));
        String hash = Json.inputHashOfCanonical(def.key(), def.type(), impl.version(), Json.canonical(def.params()), inputCanon,
                upstream, def.cache() ? configCanon(job) : null);
        hashes.put(i, hash);
        return hash;
    }

    /**
     * Canonical JSON of the config values the job snapshotted, {@code {prompts: {key: value}, presets,
     * providers, voices}} (values only: versions that hold the same value are the same work). A
     * cacheable step's hash covers it because the step cache reuses executions of other jobs,
     * whose config may differ: a job whose speech provider or voice changed must not get the audio
     * of the old one. Within one job the snapshot never changes, so checkpoints are unaffected.
     */
    private String configCanon(Job job) {
        if (configCanon == null) {
            JsonNode snapshots = Manifests.snapshotsOf(job);
            ObjectNode config = Json.object();
            for (DocumentKind kind : DocumentKind.configKinds()) {
                ObjectNode section = config.putObject(kind.plural());
                snapshots.path(kind.plural()).properties().forEach(e -> section.set(e.getKey(), e.getValue().path("value")));
            }
            configCanon = Json.canonical(config);
        }
        return configCanon;
    }

    /** @return the hash computed for step {@code i} by {@link #hash} */
    String hashOf(int i) {
        return hashes.get(i);
    }

    /** @return the outputs of these dependencies, by key, in recipe order */
    Map<String, JsonNode> upstream(List<Integer> deps, Recipe recipe) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (int d : deps) {
            String k = recipe.steps().get(d).key();
            out.put(k, outputs.get(k));
        }
        return out;
    }
}
