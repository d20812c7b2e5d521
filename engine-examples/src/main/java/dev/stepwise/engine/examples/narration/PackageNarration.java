package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Step type {@code package}: the narration's summary, the job's output.
 * <pre>{@code
 * {"topic": "tides",
 *  "script": {"text": "...", "words": 120, "model": "offline", "stop_reason": "end_turn",
 *             "usage": {"input_tokens": 0, "output_tokens": 0}},
 *  "audio": {"artifact": "sha256:...", "media_type": "audio/wav", "bytes": 1536044},
 *  "speech": {"voice": "en-us", "duration_ms": 48000, "characters": 702, "format": "wav", "requests": 1},
 *  "reading_ms_per_word": 400}
 * }</pre>
 * Usage and characters sit one level down on purpose: the manifest's usage metrics add up the
 * top-level {@code usage} and {@code characters} of every step's output, and this summary repeats
 * what the script and speech steps already reported. Params: {@code {"script": key, "speech": key}}
 * (defaults {@code script} and {@code speech}).
 */
public final class PackageNarration implements Step {
    @Override
    public Object execute(StepContext ctx) {
        String scriptKey = ctx.params().path("script").asString("script");
        String speechKey = ctx.params().path("speech").asString("speech");
        JsonNode script = earlier(ctx, scriptKey);
        JsonNode speech = earlier(ctx, speechKey);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("topic", ctx.input().path("topic").asString(""));
        ObjectNode s = out.putObject("script");
        for (String field : new String[] {"text", "words", "model", "stop_reason", "usage"}) {
            if (script.has(field)) {
                s.set(field, script.get(field));
            }
        }
        out.set("audio", speech.get("audio"));
        ObjectNode sp = out.putObject("speech");
        for (String field : new String[] {"voice", "duration_ms", "characters", "format", "requests"}) {
            if (speech.has(field)) {
                sp.set(field, speech.get(field));
            }
        }
        long words = script.path("words").asLong(0);
        if (words > 0) {
            out.put("reading_ms_per_word", speech.path("duration_ms").asLong(0) / words);
        }
        ctx.log().info("narration of '{}': {} words, {} ms of audio", out.path("topic").asString(), words,
                speech.path("duration_ms").asLong(0));
        return out;
    }

    private static JsonNode earlier(StepContext ctx, String key) {
        try {
            return ctx.output(key);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' packages the output of step '" + key
                    + "', which does not come before it", e);
        }
    }
}
