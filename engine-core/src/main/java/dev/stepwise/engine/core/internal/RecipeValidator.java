package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.Recipe;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** Checks a recipe document before it is published, collecting every problem. */
public final class RecipeValidator {
    private RecipeValidator() {
    }

    /**
     * @param document the recipe JSON
     * @param services the engine: its step types and validators, the store where config references
     *                 must exist, the schema cache that checks input and output schemas
     * @return the recipe (version as in the document, or 1)
     * @throws InvalidRecipeException listing every problem
     */
    public static Recipe validate(JsonNode document, EngineServices services) {
        Set<String> stepTypes = services.steps().keySet();
        JobStore store = services.store();
        SchemaCache schemas = services.schemas();
        List<String> problems = new ArrayList<>();
        String slug = document != null && document.path("slug").isString() ? document.get("slug").asString() : null;
        if (document == null || !document.isObject()) {
            throw new InvalidRecipeException(null, List.of("a recipe must be a JSON object"));
        }
        Set<String> keys = new HashSet<>();
        for (JsonNode step : document.path("steps")) {
            String key = step.path("key").asString("");
            if (!key.isEmpty() && !keys.add(key)) {
                problems.add("duplicate step key '" + key + "'");
            }
            String type = step.path("type").asString("");
            if (!type.isEmpty() && !stepTypes.contains(type)) {
                problems.add("step '" + key + "' has unknown type '" + type + "' (registered: "
                        + (stepTypes.isEmpty() ? "none" : String.join(", ", stepTypes.stream().sorted().toList())) + ")");
            }
            for (JsonNode v : step.path("validators")) {
                String vt = v.path("type").asString("");
                if (!vt.isEmpty() && !services.validators().containsKey(vt)) {
                    problems.add("step '" + key + "' has a validator of unknown type '" + vt + "' (registered: "
                            + String.join(", ", services.validators().keySet().stream().sorted().toList()) + ")");
                }
                if (vt.equals("json_schema")) {
                    schemas.problemsOf(v.path("schema")).forEach(p -> problems.add("the json_schema validator of step '" + key
                            + "' has no valid 'schema': " + p));
                }
            }
            JsonNode out = step.get("output_schema");
            if (out != null && !out.isNull()) {
                schemas.problemsOf(out).forEach(p -> problems.add("output_schema of step '" + key + "' is not a valid JSON Schema: " + p));
            }
        }
        JsonNode in = document.get("input_schema");
        if (in != null && !in.isNull()) {
            schemas.problemsOf(in).forEach(p -> problems.add("input_schema is not a valid JSON Schema: " + p));
        }
        Recipe recipe = null;
        if (problems.isEmpty()) {
            try {
                recipe = Recipe.fromJson(document);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (recipe != null) {
            for (DocumentKind kind : DocumentKind.configKinds()) {
                for (String ref : recipe.refs(kind)) {
                    if (store.findDocument(kind, ref, null).isEmpty()) {
                        problems.add("it refers to " + kind + " '" + ref + "', which does not exist (set it first)");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidRecipeException(slug, problems);
        }
        return recipe;
    }
}
