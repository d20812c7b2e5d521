package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

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
     * input and the outputs of its dependencies.
     */
    String hash(int i, StepDefinition def, Step impl, JsonNode jobInput, List<Integer> deps, Recipe recipe) {
        String cached = hashes.get(i);
        if (cached != null) {
            return cached;
        }
        if (inputCanon == null) {
            inputCanon = Json.canonical(jobInput);
        }
        Map<String, String> upstream = new HashMap<>();
        upstream(deps, recipe).forEach((k, out) -> upstream.put(k, canonicalOutputs.computeIfAbsent(k, key -> Json.canonical(out))));
        String hash = Json.inputHashOfCanonical(def.key(), def.type(), impl.version(), Json.canonical(def.params()), inputCanon,
                upstream);
        hashes.put(i, hash);
        return hash;
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
