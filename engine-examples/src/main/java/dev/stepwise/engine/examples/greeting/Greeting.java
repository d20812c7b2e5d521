package dev.stepwise.engine.examples.greeting;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import dev.stepwise.engine.core.JobEngineBuilder;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The {@code greeting} example: one step, {@code greet}, that fills in the prompt
 * {@value #PROMPT} ({@code {"template": "Hello, {name}!"}}) with the job input's {@code name}.
 * It shows config snapshots: the step reads the prompt through
 * {@link StepContext#config(DocumentKind, String)}, i.e. as it was when the job was created,
 * so {@code config set prompt greeting-template ...} changes new jobs only.
 *
 * <p>The recipe is the classpath resource {@value #RECIPE_RESOURCE}; the default prompt is
 * {@value #PROMPT_RESOURCE}.
 */
public final class Greeting {
    /** The recipe's slug. */
    public static final String SLUG = "greeting";
    /** The recipe as JSON, a classpath resource. */
    public static final String RECIPE_RESOURCE = "/recipes/greeting.json";
    /** The key of the prompt the recipe uses. */
    public static final String PROMPT = "greeting-template";
    /** The prompt's default value, a classpath resource. */
    public static final String PROMPT_RESOURCE = "/prompts/greeting-template.json";

    private Greeting() {
    }

    /**
     * Registers the step type {@code greet}.
     *
     * @param builder an engine builder
     * @return the builder
     */
    public static JobEngineBuilder registerSteps(JobEngineBuilder builder) {
        return builder.step("greet", new Greet());
    }

    /** Step {@code greet}: {@code {"greeting": template with {name} replaced}}. */
    public static final class Greet implements Step {
        @Override
        public Object execute(StepContext ctx) {
            JsonNode prompt = ctx.config(DocumentKind.PROMPT, PROMPT);
            String template = prompt.path("template").asString("");
            if (template.isBlank()) {
                throw new IllegalArgumentException("prompt '" + PROMPT + "' needs a string 'template', e.g. "
                        + "{\"template\": \"Hello, {name}!\"}");
            }
            String greeting = template.replace("{name}", ctx.input().path("name").asString(""));
            ctx.log().info("greeting from prompt {}: {}", PROMPT, greeting);
            return Map.of("greeting", greeting);
        }
    }
}
