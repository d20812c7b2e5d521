package dev.stepwise.engine.anthropic;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.LogLevel;
import com.anthropic.core.Timeout;
import com.anthropic.errors.AnthropicException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.StopReason;
import dev.stepwise.engine.anthropic.internal.ClaudeErrors;
import dev.stepwise.engine.anthropic.internal.ClaudePreset;
import dev.stepwise.engine.anthropic.internal.ClaudeProvider;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Redactor;
import dev.stepwise.engine.api.RetryableStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a script with Claude (the Messages API, through the official Anthropic Java SDK).
 *
 * <p>Its step {@code params} in the recipe name three config entries, which the recipe must list:
 * <pre>{@code {"provider": "claude", "preset": "script-claude", "prompt": "narration-script"}}</pre>
 * <ul>
 *   <li>the <b>provider</b>: {@code {"type": "anthropic", "api_key": {"secret": "env:ANTHROPIC_API_KEY"},
 *       "base_url": "https://api.anthropic.com", "timeout_ms": 60000}} ({@code base_url} and
 *       {@code timeout_ms} optional; the key only as a secret reference);</li>
 *   <li>the <b>preset</b>: {@code {"model": "...", "max_tokens": 1024, "temperature": 0.7, "system": "..."}}
 *       ({@code model} required);</li>
 *   <li>the <b>prompt</b>: {@code {"template": "Write about {{topic}} in {{words}} words.", "defaults": {...}}},
 *       rendered with the job's input by {@link PromptTemplate}.</li>
 * </ul>
 *
 * <p>Its output: {@code {"text", "model", "stop_reason", "usage": {"input_tokens", "output_tokens"}, "words"}}.
 * An answer cut off by {@code max_tokens} is returned, not thrown, with {@code "stop_reason": "max_tokens"}:
 * give the step a validator (e.g. a {@code json_schema} on {@code /stop_reason}) to refuse it.
 *
 * <p>Errors: 429, 408, 409, 529 (overloaded), 5xx, timeouts and connection errors throw
 * {@link RetryableStepException} (with the {@code retry-after} wait when the API sent one), so the
 * step's retry policy decides; 400, 401, 403, 404 and other 4xx throw {@link PermanentStepException}
 * with the API's own message; an answer that cannot be read throws a {@link RetryableStepException}
 * that says so. The SDK's own retries are off ({@code maxRetries(0)}): the engine's policy is the only
 * one. The API key never appears in a message, a log line or the output, even when the server echoes it.
 *
 * <p>Every request carries the header {@value #IDEMPOTENCY_HEADER} with
 * {@link StepContext#idempotencyKey()}: the same on a re-execution after a crash (execution is
 * at least once), so a proxy that de-duplicates can recognise a repeated paid call.
 *
 * <p>Stateless and thread-safe; one SDK client is built per execution and closed after it.
 */
public final class ClaudeScriptStep implements Step {
    /** A type name to register the step under, e.g. {@code builder.step(ClaudeScriptStep.TYPE, new ClaudeScriptStep())}. */
    public static final String TYPE = "claude-script";
    /** The request header that carries {@link StepContext#idempotencyKey()}. */
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    /** The step param naming the provider entry. */
    public static final String PARAM_PROVIDER = "provider";
    /** The step param naming the preset entry. */
    public static final String PARAM_PRESET = "preset";
    /** The step param naming the prompt entry. */
    public static final String PARAM_PROMPT = "prompt";
    /** Request timeout when the provider names none ({@code timeout_ms}). */
    public static final Duration DEFAULT_TIMEOUT = ClaudeProvider.DEFAULT_TIMEOUT;
    /** Base URL when the provider names none ({@code base_url}). */
    public static final String DEFAULT_BASE_URL = ClaudeProvider.DEFAULT_BASE_URL;

    private static final Logger LOG = LoggerFactory.getLogger(ClaudeScriptStep.class);

    /** A step with no state: every setting comes from the job's config snapshot. */
    public ClaudeScriptStep() {
    }

    @Override
    public Object execute(StepContext ctx) {
        String providerKey = param(ctx, PARAM_PROVIDER);
        String presetKey = param(ctx, PARAM_PRESET);
        String promptKey = param(ctx, PARAM_PROMPT);
        ClaudeProvider provider = ClaudeProvider.from(providerKey, config(ctx, DocumentKind.PROVIDER, providerKey));
        ClaudePreset preset = ClaudePreset.from(presetKey, config(ctx, DocumentKind.PRESET, presetKey));
        String prompt = PromptTemplate.fromPrompt(promptKey, config(ctx, DocumentKind.PROMPT, promptKey)).render(ctx.input());
        Redactor key = provider.key();

        MessageCreateParams.Builder params = MessageCreateParams.builder()
                .model(preset.model())
                .maxTokens(preset.maxTokens())
                .addUserMessage(prompt)
                .putAdditionalHeader(IDEMPOTENCY_HEADER, ctx.idempotencyKey());
        preset.system().ifPresent(params::system);
        if (preset.temperature().isPresent()) {
            params.putAdditionalBodyProperty("temperature", JsonValue.from(preset.temperature().getAsDouble()));
        }
        ctx.log().info("asking {} for a script (preset {}, prompt {}: {} chars, max_tokens {})", preset.model(),
                presetKey, promptKey, prompt.length(), preset.maxTokens());

        Message message;
        AnthropicClient client = client(provider);
        try {
            message = client.messages().create(params.build());
            return output(ctx, message, key);
        } catch (AnthropicException e) {
            RuntimeException mapped = ClaudeErrors.map(e, key, ctx.clock(), provider.timeout());
            LOG.debug("job {} step {}: {}", ctx.jobId(), ctx.stepKey(), mapped.getMessage());
            throw mapped;
        } finally {
            client.close();
        }
    }

    private static ObjectNode output(StepContext ctx, Message message, Redactor key) {
        StringBuilder text = new StringBuilder();
        for (ContentBlock block : message.content()) {
            if (block.isText()) {
                text.append(block.asText().text());
            }
        }
        String stopReason = message.stopReason().map(StopReason::asString).orElse(null);
        long in = message.usage().inputTokens();
        long out = message.usage().outputTokens();
        if (text.length() == 0 && !StopReason.MAX_TOKENS.asString().equals(stopReason)) {
            throw new RetryableStepException("Claude's answer has no text (stop_reason "
                    + key.redact(String.valueOf(stopReason)) + ", " + message.content().size() + " content blocks)", null);
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        String script = text.toString();
        o.put("text", script);
        o.put("model", message.model().asString());
        o.put("stop_reason", stopReason);
        ObjectNode usage = o.putObject("usage");
        usage.put("input_tokens", in);
        usage.put("output_tokens", out);
        o.put("words", words(script));
        if (StopReason.MAX_TOKENS.asString().equals(stopReason)) {
            ctx.log().warn("the answer was cut off at max_tokens ({} output tokens); stop_reason max_tokens", out);
        } else {
            ctx.log().info("script of {} words from {} ({} input, {} output tokens, stop_reason {})", o.get("words").asInt(),
                    o.get("model").asString(), in, out, stopReason);
        }
        return o;
    }

    /** @return the number of runs of non-whitespace, as the engine's {@code text} validator counts words */
    static int words(String text) {
        int n = 0;
        boolean in = false;
        for (int i = 0; i < text.length(); i++) {
            boolean ws = Character.isWhitespace(text.charAt(i));
            if (!ws && !in) {
                n++;
            }
            in = !ws;
        }
        return n;
    }

    private static AnthropicClient client(ClaudeProvider provider) {
        return AnthropicOkHttpClient.builder()
                .apiKey(provider.key().secret())
                .baseUrl(provider.baseUrl())
                .timeout(Timeout.builder().request(provider.timeout()).read(provider.timeout()).build())
                .maxRetries(0)
                .logLevel(LogLevel.OFF)
                .responseValidation(true)
                .build();
    }

    private static String param(StepContext ctx, String name) {
        JsonNode v = ctx.params().get(name);
        if (v == null || !v.isString() || v.asString().isBlank()) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' needs the param '" + name
                    + "' naming a config entry: {\"provider\": \"<provider key>\", \"preset\": \"<preset key>\", "
                    + "\"prompt\": \"<prompt key>\"}");
        }
        return v.asString();
    }

    private static JsonNode config(StepContext ctx, DocumentKind kind, String key) {
        try {
            return ctx.config(kind, key);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException(e.getMessage(), e);
        }
    }
}
