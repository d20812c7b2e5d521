package dev.stepwise.engine.examples;

import static dev.stepwise.engine.examples.StepwiseCli.EXIT_COMPLETED;

import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.RecipeCatalog;
import java.io.PrintStream;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The {@code recipes} commands: {@code list}, {@code show SLUG [--version N]}, {@code publish FILE}. */
final class RecipeCommands implements Command {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final CliContext ctx;
    private final PrintStream out;

    RecipeCommands(CliContext ctx) {
        this.ctx = ctx;
        this.out = ctx.out();
    }

    @Override
    public int run(CliArgs a) {
        String sub = a.operands.isEmpty() ? "" : a.operands.get(0);
        switch (sub) {
            case "list" -> {
                a.expectOperands(1, "recipes list");
                try (Session s = Session.open(a.db, true, ctx.clock())) {
                    List<Recipe> recipes = s.engine().catalog().recipes();
                    out.printf("%-20s  %7s  %s%n", "RECIPE", "VERSION", "STEPS");
                    for (Recipe r : recipes) {
                        out.printf("%-20s  %7d  %s%n", r.slug(), r.version(),
                                String.join(" -> ", r.steps().stream().map(StepDefinition::key).toList()));
                    }
                    return EXIT_COMPLETED;
                }
            }
            case "show" -> {
                a.expectOperands(2, "recipes show SLUG [--version N]");
                try (Session s = Session.open(a.db, true, ctx.clock())) {
                    Recipe r = s.engine().catalog().recipe(a.operands.get(1), a.version);
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.toJson()));
                    return EXIT_COMPLETED;
                }
            }
            case "publish" -> {
                a.expectOperands(2, "recipes publish FILE");
                JsonNode doc = CliArgs.parseJson("@" + a.operands.get(1), "recipe file");
                try (Session s = Session.open(a.db, true, ctx.clock())) {
                    RecipeCatalog catalog = s.engine().catalog();
                    String slug = doc.path("slug").isString() ? doc.get("slug").asString() : null;
                    int before = slug == null ? 0 : catalog.recipeVersions(slug).size();
                    Recipe r = catalog.publishRecipe(doc);
                    out.println((r.version() > before ? "published " : "unchanged: ") + r.slug() + " version " + r.version());
                    return EXIT_COMPLETED;
                }
            }
            default -> throw new UsageException((sub.isEmpty() ? "missing subcommand" : "unknown subcommand 'recipes " + sub + "'")
                    + "; usage: stepwise [--db PATH] recipes list | recipes show SLUG [--version N] | recipes publish FILE");
        }
    }
}
