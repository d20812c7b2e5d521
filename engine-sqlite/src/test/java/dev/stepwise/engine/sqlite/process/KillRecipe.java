package dev.stepwise.engine.sqlite.process;

import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The recipe the process tests run: N steps that each append a side-effect line, then sleep. */
final class KillRecipe {
    static final String SLUG = "effects";
    static final String TYPE = "effect";

    private KillRecipe() {
    }

    static String key(int i) {
        return String.format("s%02d", i);
    }

    static Recipe recipe(int steps) {
        Recipe.Builder b = Recipe.builder(SLUG);
        for (int i = 0; i < steps; i++) {
            b.step(key(i), TYPE);
        }
        return b.build();
    }

    /**
     * Appends {@code "<stepKey> <attempt>"} to the effects file, then sleeps a random
     * 0..sleepMaxMs (or {@code slowMs} for the step named {@code slowKey}).
     */
    static final class Effect implements Step {
        private static final JsonMapper JSON = JsonMapper.builder().build();
        private final Path effects;
        private final int sleepMaxMs;
        private final String slowKey;
        private final int slowMs;

        Effect(Path effects, int sleepMaxMs, String slowKey, int slowMs) {
            this.effects = effects;
            this.sleepMaxMs = sleepMaxMs;
            this.slowKey = slowKey;
            this.slowMs = slowMs;
        }

        @Override
        public Object execute(StepContext ctx) throws IOException, InterruptedException {
            Files.write(effects, (ctx.stepKey() + " " + ctx.attempt() + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            int sleep = ctx.stepKey().equals(slowKey) ? slowMs : ThreadLocalRandom.current().nextInt(sleepMaxMs + 1);
            Thread.sleep(sleep);
            ObjectNode out = JSON.createObjectNode();
            out.put("key", ctx.stepKey());
            out.put("attempt", ctx.attempt());
            return out;
        }
    }
}
