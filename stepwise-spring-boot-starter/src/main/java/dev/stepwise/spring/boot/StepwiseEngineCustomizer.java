package dev.stepwise.spring.boot;

import dev.stepwise.engine.core.JobEngineBuilder;

/**
 * A bean that adjusts the auto-configured engine's builder before it is built (after the
 * starter has applied the {@code stepwise.engine.*} properties, the {@code Step} beans, the
 * {@code ManifestWriter} beans and the recipe files). Customizers run in their {@code @Order}.
 *
 * <pre>{@code
 * @Bean
 * StepwiseEngineCustomizer jsonLimits() {
 *     return builder -> builder.jsonLimits(new JsonLimits(JsonLimits.DEFAULT_MAX_DEPTH, 64L << 20));
 * }
 * }</pre>
 *
 * <p>Not called when the application defines its own {@code JobEngine} bean.
 */
@FunctionalInterface
public interface StepwiseEngineCustomizer {

    /**
     * @param builder the engine's builder, to change in place
     */
    void customize(JobEngineBuilder builder);
}
