package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.StepContext;
import dev.stepwise.engine.api.StepLogger;
import java.time.Clock;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** A step context whose params have some values taken from the job input; the rest is the original's. */
final class InputParams implements StepContext {
    private final StepContext ctx;
    private final JsonNode params;

    private InputParams(StepContext ctx, JsonNode params) {
        this.ctx = ctx;
        this.params = params;
    }

    /**
     * @param ctx    a step's context
     * @param fields job input fields that, when the input has them as non-blank strings, replace
     *               the params of the same name
     * @return {@code ctx} itself when nothing is replaced, else a context with the replaced params
     */
    static StepContext of(StepContext ctx, Iterable<String> fields) {
        tools.jackson.databind.node.ObjectNode replaced = null;
        for (String field : fields) {
            JsonNode v = ctx.input().get(field);
            if (v != null && v.isString() && !v.asString().isBlank()) {
                if (replaced == null) {
                    replaced = ctx.params().isObject() ? ((tools.jackson.databind.node.ObjectNode) ctx.params()).deepCopy()
                            : tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
                }
                replaced.put(field, v.asString());
            }
        }
        return replaced == null ? ctx : new InputParams(ctx, replaced);
    }

    @Override public JsonNode params() { return params; }
    @Override public String jobId() { return ctx.jobId(); }
    @Override public String stepKey() { return ctx.stepKey(); }
    @Override public String stepType() { return ctx.stepType(); }
    @Override public int attempt() { return ctx.attempt(); }
    @Override public JsonNode input() { return ctx.input(); }
    @Override public Map<String, JsonNode> outputs() { return ctx.outputs(); }
    @Override public JsonNode output(String stepKey) { return ctx.output(stepKey); }
    @Override public JsonNode config(DocumentKind kind, String key) { return ctx.config(kind, key); }
    @Override public String inputHash() { return ctx.inputHash(); }
    @Override public String idempotencyKey() { return ctx.idempotencyKey(); }
    @Override public StepLogger log() { return ctx.log(); }
    @Override public boolean isCancelled() { return ctx.isCancelled(); }
    @Override public void throwIfCancelled() { ctx.throwIfCancelled(); }
    @Override public Clock clock() { return ctx.clock(); }
    @Override public ArtifactStore artifacts() { return ctx.artifacts(); }
}
