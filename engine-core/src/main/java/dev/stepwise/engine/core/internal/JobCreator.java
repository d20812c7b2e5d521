package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.Submitted;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns a recipe version, an input and submit options into a stored {@code pending} job:
 * checks the step types and the input, snapshots the recipe and its config into the first
 * manifest, and inserts the job with its step rows. Thread-safe.
 */
public final class JobCreator {
    private static final Logger LOG = LoggerFactory.getLogger(JobCreator.class);

    private final EngineServices services;
    private final Ids ids = new Ids();

    /** @param services the engine's services */
    public JobCreator(EngineServices services) {
        this.services = services;
    }

    /**
     * @param recipe  the recipe version the job pins
     * @param input   the job input (a JSON object; null means {@code {}})
     * @param options run-at, priority and idempotency key (its recipe version is already applied)
     * @return the job as stored, and whether it is new or was found by its idempotency key
     * @throws UnknownStepTypeException if a step's type is not registered (nothing written)
     * @throws InvalidInputException    if the input is not an object or fails the recipe's input schema (nothing written)
     * @throws InvalidRecipeException   if the recipe refers to config that no longer exists (nothing written)
     */
    public Submitted create(Recipe recipe, JsonNode input, SubmitOptions options) {
        for (StepDefinition def : recipe.steps()) {
            if (!services.steps().containsKey(def.type())) {
                throw new UnknownStepTypeException(recipe.id(), def.key(), def.type(), services.steps().keySet());
            }
        }
        JsonNode in = input == null || input.isNull() ? Json.object() : input;
        if (!in.isObject()) {
            throw new InvalidInputException(recipe.id(), List.of(new InvalidInputException.Violation("$",
                    "a job input must be a JSON object, was " + in.getNodeType().toString().toLowerCase(Locale.ROOT))));
        }
        services.jsonGuard().checkInput(in).ifPresent(v -> {
            throw InvalidInputException.overLimit(recipe.id(), v);
        });
        if (recipe.inputSchema() != null) {
            List<InvalidInputException.Violation> violations = services.schemas().validate(recipe.inputSchema(), in);
            if (!violations.isEmpty()) {
                throw new InvalidInputException(recipe.id(), violations);
            }
        }
        ObjectNode snapshots = Manifests.snapshots(recipe, (kind, key) -> services.store().findDocument(kind, key, null)
                .orElseThrow(() -> new InvalidRecipeException(recipe.slug(),
                        List.of("it refers to " + kind + " '" + key + "', which no longer exists"))));
        Instant now = services.nowMillis();
        String id = ids.next(now);
        List<JobStep> rows = new ArrayList<>();
        for (int i = 0; i < recipe.steps().size(); i++) {
            StepDefinition def = recipe.steps().get(i);
            rows.add(JobStep.pending(id + "-" + i, id, def.key(), i, def.type()));
        }
        Job job = Job.builder().id(id).recipeId(recipe.id()).recipeSlug(recipe.slug()).recipeVersion(recipe.version())
                .input(in.deepCopy()).status(JobStatus.PENDING).createdAt(now).updatedAt(now)
                .runAt(options.runAt() == null ? now : options.runAt().truncatedTo(ChronoUnit.MILLIS))
                .priority(options.priority()).idempotencyKey(options.idempotencyKey()).build();
        job = job.toBuilder().manifest(Manifests.build(job, rows, snapshots).toJson()).build();
        // The writer numbers its lines: the first job line is cursor 1.
        Job stored = services.store().insertJob(job.toBuilder().logCursor(1).build(), rows,
                List.of(new LogEntry(1, id, null, 0, now, LogLevel.INFO, "job created from recipe " + recipe.id())));
        // The id is new, so the store returned another job only when the idempotency key matched one.
        boolean created = stored.id().equals(id);
        if (created) {
            LOG.debug("created job {} from recipe {}", id, recipe.id());
        } else {
            LOG.debug("idempotency key {} found job {}: nothing created", options.idempotencyKey(), stored.id());
        }
        return new Submitted(stored, created);
    }
}
