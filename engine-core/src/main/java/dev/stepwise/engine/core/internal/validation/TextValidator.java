package dev.stepwise.engine.core.internal.validation;

import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.Validator;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * {@code "type": "text"}: the text (a string, or a text artifact) has {@code min_words} to
 * {@code max_words} words, {@code min_chars} to {@code max_chars} characters, and every one of
 * {@code sections} at the start of some line (a heading such as {@code "INTRO"}).
 */
public final class TextValidator implements Validator {
    @Override
    public List<String> validate(JsonNode output, JsonNode params, ArtifactStore artifacts) {
        String where = Targets.where(params);
        Targets.Target target = Targets.at(output, params);
        if (target instanceof Targets.Target.Missing m) {
            return List.of(m.problem());
        }
        JsonNode value = ((Targets.Target.Found) target).value();
        StringBuilder text = new StringBuilder();
        List<String> unreadable = Targets.text(value, artifacts, text);
        if (!unreadable.isEmpty()) {
            return unreadable.stream().map(p -> where + ": " + p).toList();
        }
        String s = text.toString();
        List<String> problems = new ArrayList<>();
        String trimmed = s.strip();
        int words = trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
        int chars = s.codePointCount(0, s.length());
        range(problems, where, "words", words, params.get("min_words"), params.get("max_words"));
        range(problems, where, "characters", chars, params.get("min_chars"), params.get("max_chars"));
        for (JsonNode section : params.path("sections")) {
            String name = section.asString();
            if (s.lines().noneMatch(l -> l.strip().startsWith(name))) {
                problems.add(where + " has no section '" + name + "' (a line starting with it)");
            }
        }
        return problems;
    }

    private static void range(List<String> problems, String where, String unit, int n, JsonNode min, JsonNode max) {
        if (min != null && n < min.asInt()) {
            problems.add(where + " has " + n + " " + unit + ", fewer than the minimum of " + min.asInt());
        }
        if (max != null && n > max.asInt()) {
            problems.add(where + " has " + n + " " + unit + ", more than the maximum of " + max.asInt());
        }
    }
}
