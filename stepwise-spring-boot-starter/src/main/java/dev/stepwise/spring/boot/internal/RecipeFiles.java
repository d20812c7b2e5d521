package dev.stepwise.spring.boot.internal;

import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.core.JobEngineBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.ResourcePatternResolver;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Finds the recipe files of {@code stepwise.recipes.locations} and seeds them into an engine
 * builder, which validates and publishes them at {@code build()}.
 */
public final class RecipeFiles {
    private static final Logger LOG = LoggerFactory.getLogger(RecipeFiles.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private RecipeFiles() {
    }

    /**
     * Seeds every file the locations match, location by location, files of one location in
     * name order.
     *
     * @param builder   the engine builder
     * @param resolver  resolves the patterns (the application context)
     * @param locations Spring resource patterns; a pattern may match nothing, a plain location
     *                  must exist
     * @return how many files were seeded
     * @throws InvalidRecipeException if a file is not JSON (its message names the file)
     * @throws IllegalStateException  if a plain location does not exist
     */
    public static int seed(JobEngineBuilder builder, ResourcePatternResolver resolver, List<String> locations) {
        int n = 0;
        for (String location : locations) {
            for (Resource r : resolve(resolver, location)) {
                builder.recipeJson(read(r));
                n++;
            }
        }
        LOG.debug("seeded {} recipe files from {}", n, locations);
        return n;
    }

    private static List<Resource> resolve(ResourcePatternResolver resolver, String location) {
        Resource[] found;
        try {
            found = resolver.getResources(location);
        } catch (IOException e) {
            throw new UncheckedIOException("stepwise.recipes.locations: cannot list " + location + ": " + e.getMessage(), e);
        }
        boolean pattern = location.contains("*") || location.contains("?") || location.startsWith("classpath*:");
        List<Resource> files = new ArrayList<>();
        for (Resource r : found) {
            if (r.exists() && r.isReadable()) {
                files.add(r);
            } else if (!pattern) {
                throw new IllegalStateException("stepwise.recipes.locations: " + location + " does not exist");
            }
        }
        files.sort(Comparator.comparing((Resource r) -> Objects.toString(r.getFilename(), ""))
                .thenComparing(Resource::getDescription));
        return files;
    }

    private static JsonNode read(Resource r) {
        try (InputStream in = r.getInputStream()) {
            return JSON.readTree(in);
        } catch (JacksonException e) {
            throw new InvalidRecipeException(null, List.of(r.getDescription() + " is not valid JSON: " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recipe file " + r.getDescription() + ": " + e.getMessage(), e);
        }
    }
}
