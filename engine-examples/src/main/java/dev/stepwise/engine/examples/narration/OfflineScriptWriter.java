package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.anthropic.PromptTemplate;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The offline script writer (provider {@code {"type": "offline", "delay_ms": 0}}): the decision
 * record's "stubbed step", with a simulated delay and a mock output of exactly the shape the
 * Claude step returns, {@code {"text", "model": "offline", "stop_reason": "end_turn", "usage":
 * {"input_tokens": 0, "output_tokens": 0}, "words"}}. The text is deterministic: it follows from
 * the rendered prompt (the prompt's {@code template} filled from the job input and the prompt's
 * {@code defaults}, as the Claude step fills it) and has exactly the asked number of words (input
 * {@code words}, else the prompt's default {@code words}, else {@value Narration#DEFAULT_WORDS}).
 *
 * <p>Params: {@code {"provider": key, "preset": key, "prompt": key}}; the preset (model settings)
 * is read but has nothing to set here.
 */
public final class OfflineScriptWriter implements Step {
    /** The longest simulated delay taken between cancel checks. */
    static final long SLICE_MS = 50;

    private static final String[] SENTENCES = {
        "Few subjects reward a closer look the way %s does.",
        "Start with what everyone notices about %s, and then look again.",
        "People have watched %s for thousands of years and written down what they saw.",
        "The simple picture of %s hides a surprising amount of machinery.",
        "Scientists still argue about some of the finer points of %s.",
        "If you have ever stood and watched %s, you have already seen the main idea.",
        "The story of %s is also a story about patience and measurement.",
        "Small changes in %s can add up to effects you can see from far away.",
        "Sailors, farmers and poets each learned to read %s in their own way.",
        "Today instruments record %s more precisely than any of our ancestors could.",
        "Nothing about %s happens in isolation; everything is connected to something else.",
        "Next time you meet %s, take a moment to notice the rhythm behind it.",
    };

    @Override
    public Object execute(StepContext ctx) throws Exception {
        String providerKey = NarrationConfig.param(ctx, ProviderSwitch.PROVIDER_PARAM, "script");
        String promptKey = NarrationConfig.param(ctx, "prompt", Narration.PROMPT);
        String presetKey = NarrationConfig.param(ctx, "preset", Narration.PRESET);
        JsonNode provider = NarrationConfig.get(ctx, DocumentKind.PROVIDER, providerKey);
        JsonNode prompt = NarrationConfig.get(ctx, DocumentKind.PROMPT, promptKey);
        NarrationConfig.get(ctx, DocumentKind.PRESET, presetKey);
        long delayMs = NarrationConfig.nonNegative(provider, "delay_ms", 0, "provider '" + providerKey + "'");

        String topic = ctx.input().path("topic").asString("").strip();
        if (topic.isEmpty()) {
            throw new PermanentStepException("the job input needs a non-empty 'topic' for the script");
        }
        PromptTemplate template = PromptTemplate.fromPrompt(promptKey, prompt);
        int words = Narration.words(template.valueOf("words", ctx.input()).orElse(null));
        String rendered = template.render(ctx.input());
        simulateDelay(ctx, delayMs);
        String text = write(topic, rendered, words);
        ctx.log().info("offline script: {} words about '{}' (delay {} ms)", words, topic, delayMs);

        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("text", text);
        out.put("model", "offline");
        out.put("stop_reason", "end_turn");
        ObjectNode usage = out.putObject("usage");
        usage.put("input_tokens", 0);
        usage.put("output_tokens", 0);
        out.put("words", Narration.countWords(text));
        return out;
    }

    /** Sleeps in slices, stopping early (with {@code JobCancelledException}) once a cancel is requested. */
    private static void simulateDelay(StepContext ctx, long delayMs) throws InterruptedException {
        long left = delayMs;
        while (left > 0) {
            ctx.throwIfCancelled();
            long slice = Math.min(left, SLICE_MS);
            Thread.sleep(slice);
            left -= slice;
        }
    }

    /**
     * @param topic    the topic
     * @param rendered the rendered prompt (its digest orders the sentences)
     * @param words    the number of words to write
     * @return text of exactly {@code words} words, ending with a full stop
     */
    static String write(String topic, String rendered, int words) {
        byte[] seed = sha256(rendered);
        List<String> out = new ArrayList<>();
        int i = 0;
        while (out.size() < words) {
            int pick = Byte.toUnsignedInt(seed[i % seed.length]) + i;
            for (String w : String.format(SENTENCES[pick % SENTENCES.length], topic).split("\\s+")) {
                out.add(w);
            }
            i++;
        }
        List<String> cut = new ArrayList<>(out.subList(0, words));
        String last = cut.get(words - 1).replaceAll("[,;.!?]+$", "");
        cut.set(words - 1, last + ".");
        return String.join(" ", cut);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
