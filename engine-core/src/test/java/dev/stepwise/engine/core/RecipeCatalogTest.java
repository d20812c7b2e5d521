package dev.stepwise.engine.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.UnknownRecipeException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A new job's recipe is parsed once per version (issue 15: cheaper creation). */
class RecipeCatalogTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aRecipeVersionIsParsedOncePerEngineForNewJobsAndANewVersionIsSeenAtOnce() {
        try (JobEngine engine = JobEngine.builder(new InMemoryJobStore()).step("noop", ctx -> JSON.createObjectNode())
                .recipe(Recipe.builder("r").step("a", "noop").build()).build()) {
            RecipeCatalog catalog = engine.catalog();
            Recipe first = catalog.forNewJob("r", null);
            assertSame(first, catalog.forNewJob("r", null));
            assertSame(first, catalog.forNewJob("r", 1));
            // The public lookup hands out its own copy: a caller cannot change what jobs pin.
            assertNotSame(first, catalog.recipe("r", null));
            assertEquals(first, catalog.recipe("r", null));

            catalog.publishRecipe(Recipe.builder("r").step("a", "noop").step("b", "noop").build());
            Recipe second = catalog.forNewJob("r", null);
            assertEquals(2, second.version());
            assertEquals(2, second.steps().size());
            assertSame(first, catalog.forNewJob("r", 1));

            String id = engine.submit("r", JSON.createObjectNode(), SubmitOptions.defaults()).job().id();
            assertEquals(JobStatus.COMPLETED, engine.run(id).status());
            assertEquals(2, engine.job(id).recipeVersion());
            assertThrows(UnknownRecipeException.class, () -> catalog.forNewJob("r", 3));
        }
    }
}
