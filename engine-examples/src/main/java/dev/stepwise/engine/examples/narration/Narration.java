package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.anthropic.ClaudeScriptStep;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.azure.speech.AzureSpeechStep;
import dev.stepwise.engine.core.JobEngineBuilder;
import tools.jackson.databind.JsonNode;

/**
 * The {@code narration} example: input {@code {"topic", "words"?, "voice"?}} →
 * {@code script} (a script of about {@code words} words, checked by a {@code text} validator) →
 * {@code speech} (a WAV artifact, checked by an {@code audio} validator; cached across jobs) →
 * {@code package} (a JSON summary). The recipe is the classpath resource {@value #RECIPE_RESOURCE}.
 *
 * <p>Which services do the work is config: the steps {@code script} and {@code speech} are
 * {@link ProviderSwitch}es that follow the {@code type} of the provider documents {@value #SCRIPT_PROVIDER}
 * and {@value #SPEECH_PROVIDER}: {@code script} is {@link OfflineScriptWriter} ({@code "offline"})
 * or {@link ClaudeScriptStep} ({@code "anthropic"}); {@code speech} is {@link ToneSpeech}
 * ({@code "tone"}), {@link EspeakSpeech} ({@code "espeak"}) or {@link AzureSpeechStep}
 * ({@code "azure"}). A host adds its own types to the builders before registering:
 * <pre>{@code
 * Narration.registerSteps(builder,
 *         Narration.scriptProviders().provider("my-llm", myStep),
 *         Narration.speechProviders());
 * }</pre>
 */
public final class Narration {
    /** The recipe's slug. */
    public static final String SLUG = "narration";
    /** The recipe as JSON, a classpath resource. */
    public static final String RECIPE_RESOURCE = "/recipes/narration.json";
    /** The script-writing provider document's key. */
    public static final String SCRIPT_PROVIDER = "script";
    /** The speech provider document's key. */
    public static final String SPEECH_PROVIDER = "speech";
    /** The prompt's key (a {@code template} with {@code {{topic}}} and {@code {{words}}}, and {@code defaults}). */
    public static final String PROMPT = "narration-script";
    /** The preset's key (the model settings: {@code model}, {@code max_tokens}, {@code temperature}, {@code system}). */
    public static final String PRESET = "narration-script";
    /** The voice's key. */
    public static final String VOICE = "narrator-en";
    /** Words of the script when the input does not say. */
    public static final int DEFAULT_WORDS = 120;

    private Narration() {
    }

    /** @return the script step's providers: {@code offline} and {@code anthropic} ({@link ClaudeScriptStep}) */
    public static ProviderSwitch.Builder scriptProviders() {
        return ProviderSwitch.builder("script").provider("offline", new OfflineScriptWriter())
                .provider("anthropic", new ClaudeScriptStep());
    }

    /**
     * @return the speech step's providers: {@code tone}, {@code espeak} and {@code azure}
     *         ({@link AzureSpeechStep}); the input's {@code voice} names the voice
     */
    public static ProviderSwitch.Builder speechProviders() {
        return ProviderSwitch.builder("speech").paramFromInput("voice")
                .provider("tone", new ToneSpeech()).provider("espeak", new EspeakSpeech()).provider("azure", new AzureSpeechStep());
    }

    /**
     * Registers the step types {@code script}, {@code speech} and {@code package} with the offline providers.
     *
     * @param builder an engine builder
     * @return the builder
     */
    public static JobEngineBuilder registerSteps(JobEngineBuilder builder) {
        return registerSteps(builder, scriptProviders(), speechProviders());
    }

    /**
     * Registers the step types {@code script}, {@code speech} and {@code package}.
     *
     * @param builder an engine builder
     * @param script  the script step's providers (e.g. {@link #scriptProviders()} plus {@code anthropic})
     * @param speech  the speech step's providers (e.g. {@link #speechProviders()} plus {@code azure})
     * @return the builder
     */
    public static JobEngineBuilder registerSteps(JobEngineBuilder builder, ProviderSwitch.Builder script,
            ProviderSwitch.Builder speech) {
        return builder.step("script", script.build()).step("speech", speech.build()).step("package", new PackageNarration());
    }

    /**
     * @param words the {@code words} of the job input (or the prompt's default), or null
     * @return it, or {@value #DEFAULT_WORDS}
     * @throws PermanentStepException if it is not a positive whole number
     */
    static int words(JsonNode words) {
        if (words == null || words.isNull()) {
            return DEFAULT_WORDS;
        }
        if (!words.isIntegralNumber() || words.asInt() < 1 || words.asInt() > 10_000) {
            throw new PermanentStepException("'words' must be a whole number from 1 to 10000, was " + words);
        }
        return words.asInt();
    }

    /** @return the words of a text: runs of non-whitespace, as the {@code text} validator counts them */
    static int countWords(String text) {
        String t = text.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }
}
