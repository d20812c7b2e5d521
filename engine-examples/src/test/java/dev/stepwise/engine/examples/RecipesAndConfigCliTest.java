package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.core.ManifestSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Recipes and config in the database, through the CLI, on a real SQLite file in a temporary folder. */
class RecipesAndConfigCliTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The bundled recipe file and the changed copy the README publishes as version 2. */
    private static final Path BUNDLED = DocSnippets.REPO.resolve("engine-examples/src/main/resources/recipes/wordcount.json");
    private static final Path STOPWORDS = DocSnippets.REPO.resolve("engine-examples/recipes/wordcount-stopwords.json");

    @TempDir
    Path dir;
    Cli cli;
    Path text;

    @BeforeEach
    void setUp() throws IOException {
        cli = new Cli(dir.resolve("jobs.db"));
        text = Files.writeString(dir.resolve("input.txt"), "The cat and the hat.\nThe END, the end! And the cat.\n");
    }

    @Test
    void theBundledRecipesAreSeededAtStartUp() {
        Cli.Result list = cli.run("recipes", "list");
        assertEquals(0, list.code(), list.toString());
        assertEquals(List.of(
                "RECIPE                VERSION  STEPS",
                "greeting                    1  greet",
                "narration                   1  script -> speech -> package",
                "wordcount                   1  read -> tokenize -> count -> report"), list.out());

        Cli.Result show = cli.run("recipes", "show", "wordcount");
        assertEquals(0, show.code(), show.toString());
        JsonNode recipe = JSON.readTree(show.stdout());
        assertEquals(1, recipe.get("version").asInt());
        assertEquals(List.of("file"), JSON.convertValue(recipe.at("/input_schema/required"), List.class));
        assertTrue(show.out().size() > 10, "pretty-printed: " + show);

        Cli.Result again = cli.run("recipes", "publish", BUNDLED.toString());
        assertEquals(List.of("unchanged: wordcount version 1"), again.out(), again.toString());
    }

    @Test
    void publishingAChangedRecipeMakesVersion2AndJobsPinTheVersionTheyRan() throws IOException {
        Cli.Result publish = cli.run("recipes", "publish", STOPWORDS.toString());
        assertEquals(0, publish.code(), publish.toString());
        assertEquals(List.of("published wordcount version 2"), publish.out());
        assertEquals(List.of("unchanged: wordcount version 2"), cli.run("recipes", "publish", STOPWORDS.toString()).out());

        Path r1 = dir.resolve("r1.md");
        Path r2 = dir.resolve("r2.md");
        Cli.Result v1 = cli.run("run", "wordcount", "--version", "1", "--input", input(text, r1));
        assertEquals(0, v1.code(), v1.toString());
        assertTrue(v1.out().get(1).startsWith("completed: job " + v1.out().get(0) + " (wordcount@1)"), v1.toString());
        Cli.Result v2 = cli.run("run", "wordcount", "--input", input(text, r2));
        assertEquals(0, v2.code(), v2.toString());
        assertTrue(v2.out().get(1).startsWith("completed: job " + v2.out().get(0) + " (wordcount@2)"), v2.toString());

        JsonNode m1 = manifest(v1.out().get(0));
        JsonNode m2 = manifest(v2.out().get(0));
        assertEquals(1, m1.at("/snapshots/recipe/version").asInt());
        assertEquals(2, m2.at("/snapshots/recipe/version").asInt());
        assertEquals(1, m1.at("/snapshots/recipe/steps/2/params/minLength").asInt());
        assertEquals(3, m2.at("/snapshots/recipe/steps/2/params/minLength").asInt());
        // Version 1 counts every word ("the" wins); version 2 drops stop words and short words.
        assertTrue(Files.readString(r1).contains("| 1 | the | 5 |"), Files.readString(r1));
        assertTrue(Files.readString(r2).contains("| 1 | cat | 2 |"), Files.readString(r2));
        assertFalse(Files.readString(r2).contains("| the |"), Files.readString(r2));

        // Starting the CLI again (each command does) does not re-publish the bundled version 1 as 3.
        Cli.Result list = cli.run("recipes", "list");
        assertTrue(list.out().contains("wordcount                   2  read -> tokenize -> count -> report"), list.toString());
        assertEquals(1, JSON.readTree(cli.run("recipes", "show", "wordcount", "--version", "1").stdout()).get("version").asInt());
        assertEquals(2, JSON.readTree(cli.run("recipes", "show", "wordcount").stdout()).get("version").asInt());

        Cli.Result jobs = cli.run("list");
        assertTrue(jobs.out().get(1).startsWith(v2.out().get(0) + "  completed  wordcount@2"), jobs.toString());
        assertTrue(jobs.out().get(2).startsWith(v1.out().get(0) + "  completed  wordcount@1"), jobs.toString());
    }

    @Test
    void anInputWithoutFileExits2WithEveryViolationAndCreatesNoJob() {
        Cli.Result run = cli.run("run", "wordcount", "--input", "{\"out\": \"r.md\"}");
        assertEquals(2, run.code(), run.toString());
        assertEquals(List.of(), run.out());
        assertEquals(1, run.err().size(), run.toString());
        assertTrue(run.err().get(0).startsWith("error: input does not match the input schema of recipe wordcount@1 (1 violation): $: "),
                run.err().get(0));
        assertTrue(run.err().get(0).contains("file"), run.err().get(0));

        Cli.Result three = cli.run("run", "wordcount", "--input", "{\"top\": 0, \"colour\": \"red\"}");
        assertEquals(2, three.code(), three.toString());
        assertEquals(1, three.err().size(), three.toString());
        assertTrue(three.err().get(0).contains("(3 violations)"), three.err().get(0));
        assertTrue(three.err().get(0).contains("$.top: "), three.err().get(0));
        assertTrue(three.err().get(0).contains("colour"), three.err().get(0));

        assertEquals(List.of("no jobs"), cli.run("list").out());
    }

    @Test
    void anInvalidRecipeFileExits2ListingEveryProblem() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.json"), """
                {"slug": "broken",
                 "input_schema": {"type": "thing"},
                 "prompts": ["no-such-prompt"],
                 "steps": [{"key": "a", "type": "read-file"},
                           {"key": "a", "type": "tokenize"},
                           {"key": "b", "type": "no-such-type"}]}
                """);
        Cli.Result r = cli.run("recipes", "publish", bad.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(List.of(), r.out());
        assertEquals(1, r.err().size(), r.toString());
        String e = r.err().get(0);
        assertTrue(e.startsWith("error: recipe 'broken' is invalid: "), e);
        assertTrue(e.contains("duplicate step key 'a'"), e);
        assertTrue(e.contains("step 'b' has unknown type 'no-such-type'"), e);
        assertTrue(e.contains("input_schema is not a valid JSON Schema"), e);

        // A reference to config that does not exist is found once the shape is right.
        Path missingRef = Files.writeString(dir.resolve("ref.json"),
                "{\"slug\": \"broken\", \"prompts\": [\"no-such-prompt\"], \"steps\": [{\"key\": \"a\", \"type\": \"greet\"}]}");
        Cli.Result ref = cli.run("recipes", "publish", missingRef.toString());
        assertEquals(2, ref.code(), ref.toString());
        assertTrue(ref.err().get(0).contains("prompt 'no-such-prompt', which does not exist"), ref.toString());

        assertUsageError(cli.run("recipes", "publish", dir.resolve("nope.json").toString()), "error: recipe file ");
        Path notJson = Files.writeString(dir.resolve("not.json"), "{slug: 1");
        assertUsageError(cli.run("recipes", "publish", notJson.toString()), "error: recipe file " + notJson + " is not valid JSON: ");
        assertFalse(cli.run("recipes", "list").stdout().contains("broken"));
    }

    @Test
    void configSetMakesTheNextVersionAndConfigListShowsTheLatest() throws IOException {
        Cli.Result list = cli.run("config", "list");
        assertEquals(0, list.code(), list.toString());
        assertEquals(List.of("prompt greeting-template 1", "prompt narration-script 1", "preset narration-script 1",
                "provider script 1", "provider speech 1", "voice narrator-en 1"),
                list.out().subList(1, list.out().size()).stream().map(r -> String.join(" ", cols(r).subList(0, 3))).toList(),
                "the bundled config, seeded at start-up");

        Cli.Result set = cli.run("config", "set", "prompt", "greeting-template", "{\"template\": \"Good evening, {name}.\"}");
        assertEquals(0, set.code(), set.toString());
        assertEquals(List.of("set prompt greeting-template version 2"), set.out());
        Path file = Files.writeString(dir.resolve("p.json"), "{\"template\": \"Good evening, {name}.\"}");
        assertEquals(List.of("unchanged: prompt greeting-template version 2"),
                cli.run("config", "set", "prompt", "greeting-template", "@" + file).out());
        assertEquals(List.of("set preset claude-fast version 1"),
                cli.run("config", "set", "preset", "claude-fast", "{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 512}").out());
        assertEquals(List.of("set voice narrator-en version 2"), cli.run("config", "set", "voice", "narrator-en",
                "{\"provider\": \"azure\", \"name\": \"en-GB-SoniaNeural\", \"language\": \"en-GB\"}").out());

        List<String> rows = cli.run("config", "list").out();
        assertEquals(List.of("KIND", "KEY", "VERSION", "PUBLISHED"), cols(rows.get(0)));
        assertEquals(List.of("prompt greeting-template 2", "prompt narration-script 1", "preset claude-fast 1",
                "preset narration-script 1", "provider script 1", "provider speech 1", "voice narrator-en 2"),
                rows.subList(1, rows.size()).stream().map(r -> String.join(" ", cols(r).subList(0, 3))).toList());
    }

    @Test
    void aLiteralSecretInAProviderIsRejectedAndAReferenceIsAccepted() {
        Cli.Result literal = cli.run("config", "set", "provider", "claude",
                "{\"model\": \"claude-x\", \"api_key\": \"sk-do-not-store-me\"}");
        assertEquals(2, literal.code(), literal.toString());
        assertEquals(1, literal.err().size(), literal.toString());
        assertTrue(literal.err().get(0).startsWith("error: config provider 'claude' is invalid: $.api_key looks like a secret"),
                literal.err().get(0));
        assertFalse(literal.toString().contains("sk-do-not-store-me"), literal.toString());

        Cli.Result ref = cli.run("config", "set", "provider", "claude",
                "{\"model\": \"claude-x\", \"api_key\": {\"secret\": \"env:ANTHROPIC_API_KEY\"}}");
        assertEquals(List.of("set provider claude version 1"), ref.out(), ref.toString());
    }

    @Test
    void aJobKeepsThePromptVersionItWasCreatedWith() {
        Cli.Result first = cli.run("run", "greeting", "--input", "{\"name\": \"Ada\"}");
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().get(1).endsWith("; output: {\"greeting\":\"Hello, Ada!\"}"), first.toString());

        cli.run("config", "set", "prompt", "greeting-template", "{\"template\": \"Good evening, {name}.\"}");
        Cli.Result second = cli.run("run", "greeting", "--input", "{\"name\": \"Ada\"}");
        assertTrue(second.out().get(1).endsWith("; output: {\"greeting\":\"Good evening, Ada.\"}"), second.toString());

        JsonNode m1 = manifest(first.out().get(0));
        JsonNode m2 = manifest(second.out().get(0));
        assertEquals(1, m1.at("/snapshots/prompts/greeting-template/version").asInt());
        assertEquals("Hello, {name}!", m1.at("/snapshots/prompts/greeting-template/value/template").asString());
        assertEquals(2, m2.at("/snapshots/prompts/greeting-template/version").asInt());
        assertEquals("Hello, Ada!", m1.at("/output/greeting").asString());

        // The bundled prompt is not seeded again over the newer version.
        assertEquals(List.of("prompt", "greeting-template", "2"), cols(cli.run("config", "list").out().get(1)).subList(0, 3));
    }

    @Test
    void badUsageOfTheNewCommandsExits2() {
        assertUsageError(cli.run("recipes"), "error: missing subcommand; usage: stepwise [--db PATH] recipes list");
        assertUsageError(cli.run("recipes", "drop"), "error: unknown subcommand 'recipes drop'");
        assertUsageError(cli.run("recipes", "show"), "error: missing argument; usage: stepwise [--db PATH] recipes show SLUG");
        assertUsageError(cli.run("recipes", "show", "nope"), "error: no recipe 'nope'; known recipes: greeting, narration, wordcount");
        assertUsageError(cli.run("recipes", "show", "wordcount", "--version", "7"), "error: no recipe 'wordcount' version 7");
        assertUsageError(cli.run("run", "wordcount", "--version", "0"), "error: --version must be a whole number >= 1, was '0'");
        assertUsageError(cli.run("run", "wordcount", "--version", "x"), "error: --version must be a whole number >= 1, was 'x'");
        assertUsageError(cli.run("list", "--version", "1"), "error: --version is only for 'run', 'submit' and 'recipes show'");
        assertUsageError(cli.run("config", "set", "voices", "v", "{}"),
                "error: unknown kind 'voices'; expected one of recipe, prompt, preset, provider, voice");
        assertUsageError(cli.run("config", "set", "recipe", "wordcount", "{}"), "error: KIND must be prompt, preset, provider or voice");
        assertUsageError(cli.run("config", "set", "prompt", "p"), "error: missing argument; usage: stepwise [--db PATH] config set");
        assertUsageError(cli.run("config", "set", "prompt", "p", "{oops"), "error: config value is not valid JSON: ");
        assertUsageError(cli.run("config", "set", "prompt", "bad key!", "{}"), "error: config prompt 'bad key!' is invalid: ");
    }

    private static List<String> cols(String line) {
        return List.of(line.strip().split("\\s+"));
    }

    private JsonNode manifest(String jobId) {
        Cli.Result r = cli.run("manifest", jobId);
        assertEquals(0, r.code(), r.toString());
        JsonNode m = JSON.readTree(r.stdout());
        assertEquals(List.of(), ManifestSchema.validate(m));
        return m;
    }

    private static void assertUsageError(Cli.Result r, String errorPrefix) {
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().size(), r.toString());
        assertTrue(r.err().get(0).startsWith(errorPrefix), "expected '" + errorPrefix + "...', got: " + r.err().get(0));
    }

    private static String input(Path file, Path out) {
        return "{\"file\": \"" + file.toString().replace("\\", "\\\\") + "\", \"out\": \"" + out.toString().replace("\\", "\\\\") + "\"}";
    }
}
