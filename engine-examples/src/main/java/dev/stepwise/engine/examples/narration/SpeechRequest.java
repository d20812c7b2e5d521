package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.StepContext;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a speech step is asked to do: the text (the {@code text} of the script step's output), the
 * voice document and the provider document, all from the job's snapshot.
 *
 * <p>Params: {@code {"provider": key, "voice": key}}, and optionally {@code "text_from"} (the step
 * whose output's {@code text} is spoken; default {@value #DEFAULT_TEXT_FROM}). (The narration's
 * speech switch hands the job input's {@code voice}, when present, to its delegate as the param.)
 *
 * @param text        what to speak
 * @param voiceKey    the voice document's key
 * @param voice       the voice document
 * @param providerKey the provider document's key
 * @param provider    the provider document (secrets resolved)
 */
record SpeechRequest(String text, String voiceKey, JsonNode voice, String providerKey, JsonNode provider) {
    /** The step whose output's {@code text} is spoken, unless the params say otherwise. */
    static final String DEFAULT_TEXT_FROM = "script";

    static SpeechRequest of(StepContext ctx) {
        String providerKey = NarrationConfig.param(ctx, ProviderSwitch.PROVIDER_PARAM, "speech");
        String voiceKey = NarrationConfig.param(ctx, "voice", Narration.VOICE);
        String from = ctx.params().path("text_from").asString(DEFAULT_TEXT_FROM);
        JsonNode source;
        try {
            source = ctx.output(from);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' speaks the text of step '" + from
                    + "', which does not come before it; set 'text_from' to the script step's key", e);
        }
        String text = source.path("text").asString("");
        if (text.isBlank()) {
            throw new PermanentStepException("step '" + from + "' has no 'text' to speak");
        }
        return new SpeechRequest(text, voiceKey, NarrationConfig.get(ctx, DocumentKind.VOICE, voiceKey), providerKey,
                NarrationConfig.get(ctx, DocumentKind.PROVIDER, providerKey));
    }

    /** @return characters to synthesize (code points), as speech services bill them */
    int characters() {
        return text.codePointCount(0, text.length());
    }

    /** @return the voice's language, lowercase (e.g. {@code en-us}), or {@code en} */
    String language() {
        return voice.path("language").asString("en").toLowerCase(Locale.ROOT);
    }

    /**
     * @return the speech step's output, the same shape for every provider: {@code {"audio", "duration_ms",
     *         "characters", "voice", "format": "wav", "requests"}}
     */
    ObjectNode output(ArtifactRef audio, long durationMs, String voiceName, int requests) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("audio", audio.toJson());
        out.put("duration_ms", durationMs);
        out.put("characters", characters());
        out.put("voice", voiceName);
        out.put("format", "wav");
        out.put("requests", requests);
        return out;
    }
}
