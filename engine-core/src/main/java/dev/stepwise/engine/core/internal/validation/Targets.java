package dev.stepwise.engine.core.internal.validation;

import dev.stepwise.engine.api.ArtifactException;
import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ArtifactStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** What a built-in validator looks at: the output, or the value at its {@code "path"} (a JSON pointer). */
final class Targets {
    private Targets() {
    }

    /** The value a validator checks, or why there is none. */
    sealed interface Target {
        /** @param value the value at the path */
        record Found(JsonNode value) implements Target {
        }

        /** @param problem why there is no value to check */
        record Missing(String problem) implements Target {
        }
    }

    static Target at(JsonNode output, JsonNode params) {
        String path = params.path("path").asString("");
        JsonNode value = path.isEmpty() ? output : output.at(path);
        if (value == null || value.isMissingNode()) {
            return new Target.Missing("the output has no value at " + path);
        }
        return new Target.Found(value);
    }

    static String where(JsonNode params) {
        String path = params.path("path").asString("");
        return path.isEmpty() ? "the output" : path;
    }

    /** Text: a string, or the bytes of a text artifact as UTF-8. */
    static List<String> text(JsonNode value, ArtifactStore artifacts, StringBuilder into) {
        if (value.isString()) {
            into.append(value.asString());
            return List.of();
        }
        var ref = ArtifactRef.fromJson(value);
        if (ref.isEmpty()) {
            return List.of("it is neither a string nor an artifact reference");
        }
        try {
            into.append(new String(artifacts.read(ref.get()), StandardCharsets.UTF_8));
            return List.of();
        } catch (ArtifactException e) {
            return List.of(e.getMessage());
        }
    }
}
