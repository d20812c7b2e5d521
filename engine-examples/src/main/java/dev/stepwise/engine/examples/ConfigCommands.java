package dev.stepwise.engine.examples;

import static dev.stepwise.engine.examples.StepwiseCli.EXIT_COMPLETED;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.RecipeCatalog;
import java.io.PrintStream;
import tools.jackson.databind.JsonNode;

/** The {@code config} commands: {@code list} and {@code set KIND KEY JSON|@FILE}. */
final class ConfigCommands implements Command {
    private final CliContext ctx;
    private final PrintStream out;

    ConfigCommands(CliContext ctx) {
        this.ctx = ctx;
        this.out = ctx.out();
    }

    @Override
    public int run(CliArgs a) {
        String sub = a.operands.isEmpty() ? "" : a.operands.get(0);
        switch (sub) {
            case "list" -> {
                a.expectOperands(1, "config list");
                try (Session s = Session.open(a.db, true, ctx.clock())) {
                    out.printf("%-8s  %-24s  %7s  %s%n", "KIND", "KEY", "VERSION", "PUBLISHED");
                    for (DocumentKind kind : DocumentKind.configKinds()) {
                        for (VersionedDocument d : s.engine().catalog().configs(kind)) {
                            out.printf("%-8s  %-24s  %7d  %s%n", kind, d.key(), d.version(), d.createdAt());
                        }
                    }
                    return EXIT_COMPLETED;
                }
            }
            case "set" -> {
                return set(a);
            }
            default -> throw new UsageException((sub.isEmpty() ? "missing subcommand" : "unknown subcommand 'config " + sub + "'")
                    + "; usage: stepwise [--db PATH] config list | config set KIND KEY JSON|@FILE");
        }
    }

    private int set(CliArgs a) {
        a.expectOperands(4, "config set KIND KEY JSON|@FILE");
        DocumentKind kind;
        try {
            kind = DocumentKind.fromValue(a.operands.get(1));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (!kind.isConfig()) {
            throw new UsageException("KIND must be prompt, preset, provider or voice; publish recipes with 'recipes publish FILE'");
        }
        String key = a.operands.get(2);
        JsonNode value = CliArgs.parseJson(a.operands.get(3), "config value");
        try (Session s = Session.open(a.db, true, ctx.clock())) {
            RecipeCatalog catalog = s.engine().catalog();
            int before = catalog.config(kind, key, null).map(VersionedDocument::version).orElse(0);
            VersionedDocument d;
            try {
                d = catalog.putConfig(kind, key, value);
            } catch (InvalidRecipeException e) {
                throw new UsageException("config " + kind + " '" + key + "' is invalid: " + String.join("; ", e.problems()));
            }
            out.println((d.version() > before ? "set " : "unchanged: ") + kind + " " + key + " version " + d.version());
            return EXIT_COMPLETED;
        }
    }
}
