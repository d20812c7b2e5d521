package dev.stepwise.engine.anthropic;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.core.FileManifestWriter;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The engine of the Claude tests: SQLite in a temporary folder, a test secret resolver, the script recipe. */
final class ClaudeFixture {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** A key nobody would write by chance, so a grep for it finds only leaks. */
    static final String KEY = "sk-ant-TEST-7c0ffee5ecre7-do-not-leak-91b2";
    static final String SECRET_REF = "test:claude-key";
    static final SecretResolver RESOLVER = ref -> {
        if (ref.equals(SECRET_REF)) {
            return KEY;
        }
        throw new IllegalArgumentException("secret '" + ref + "' is unknown to the test resolver");
    };

    private ClaudeFixture() {
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    static ObjectNode provider(String baseUrl, long timeoutMs) {
        return (ObjectNode) json("{\"type\": \"anthropic\", \"api_key\": {\"secret\": \"" + SECRET_REF + "\"}, \"base_url\": \""
                + baseUrl + "\", \"timeout_ms\": " + timeoutMs + "}");
    }

    static JsonNode preset() {
        return json("{\"model\": \"claude-test-1\", \"max_tokens\": 400, \"temperature\": 0.5, "
                + "\"system\": \"You write short narration scripts.\"}");
    }

    static JsonNode prompt() {
        return json("{\"template\": \"Write a narration about {{topic}} in about {{ words }} words.\", \"defaults\": {\"words\": 120}}");
    }

    /**
     * @param maxAttempts the script step's retry policy's attempts
     * @param validators  a JSON array of validators for the script step ({@code []} for none)
     */
    static Recipe recipe(int maxAttempts, String validators) {
        return Recipe.fromJson(json("{\"slug\": \"script\", "
                + "\"input_schema\": {\"type\": \"object\", \"required\": [\"topic\"]}, "
                + "\"prompts\": [\"narration-script\"], \"presets\": [\"script-claude\"], \"providers\": [\"claude\"], "
                + "\"steps\": [{\"key\": \"script\", \"type\": \"claude-script\", "
                + "\"params\": {\"provider\": \"claude\", \"preset\": \"script-claude\", \"prompt\": \"narration-script\"}, "
                + "\"retry\": {\"max_attempts\": " + maxAttempts + ", \"initial_delay_ms\": 20, \"jitter\": \"none\"}, "
                + "\"validators\": " + validators + "}]}"));
    }

    static JobEngineBuilder engine(SqliteJobStore store, Path manifests, JsonNode provider, Recipe recipe) {
        return JobEngine.builder(store)
                .step(ClaudeScriptStep.TYPE, new ClaudeScriptStep())
                .secretResolver(RESOLVER)
                .manifestWriter(new FileManifestWriter(manifests))
                .config(DocumentKind.PROVIDER, "claude", provider)
                .config(DocumentKind.PRESET, "script-claude", preset())
                .config(DocumentKind.PROMPT, "narration-script", prompt())
                .recipe(recipe);
    }

    /** A Messages API answer. */
    static String message(String text, String stopReason, int in, int out) {
        return "{\"id\": \"msg_01\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-test-1\", "
                + "\"content\": [{\"type\": \"text\", \"text\": " + JSON.writeValueAsString(text) + "}], "
                + "\"stop_reason\": \"" + stopReason + "\", \"stop_sequence\": null, "
                + "\"usage\": {\"input_tokens\": " + in + ", \"output_tokens\": " + out + "}}";
    }

    /** An error answer as the Messages API writes one. */
    static String error(String type, String message) {
        return "{\"type\": \"error\", \"error\": {\"type\": \"" + type + "\", \"message\": " + JSON.writeValueAsString(message) + "}}";
    }
}
