package dev.stepwise.engine.dashboard;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A real SQLite file, an engine with test steps and a started dashboard on a free port.
 *
 * <p>Steps: {@code echo} (logs a line, returns its key), {@code gate} (logs, then waits until the
 * test lets one execution of that step key through with {@link #open(String)}), {@code flaky}
 * (throws while its key is in {@link #failing}), {@code chatty} (logs lines at every level, the
 * job input's {@code name} among them), {@code spam} (logs input {@code lines} lines three times,
 * waiting at its gate between) and {@code use-secret} (reads the provider {@code vault},
 * whose {@code api_key} resolves to {@link #SECRET}, and logs and fails with it).
 */
final class DashboardFixture implements AutoCloseable {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** The resolved value of the provider's secret reference: must never reach a response. */
    static final String SECRET = "s3cr3t-VALUE-4711";
    /** How long a gated step waits for the test before it fails (a hang guard, far above need). */
    static final Duration GATE_GUARD = Duration.ofSeconds(60);

    final SqliteJobStore store;
    final JobEngine engine;
    final Dashboard dashboard;
    final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Map<String, Semaphore> gates = new ConcurrentHashMap<>();
    private Workers workers;

    private DashboardFixture(Path dir, UnaryOperator<Dashboard.Builder> settings) {
        store = SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
        engine = JobEngine.builder(store)
                // Lines a running step logs reach the store with the heartbeat: often, so the page sees them.
                .heartbeatInterval(Duration.ofMillis(200))
                .leaseTtl(Duration.ofSeconds(20))
                .step("echo", ctx -> {
                    ctx.log().info("echo {} attempt {}", ctx.stepKey(), ctx.attempt());
                    ObjectNode out = JSON.createObjectNode();
                    out.put("step", ctx.stepKey());
                    out.put("upstream", ctx.outputs().size());
                    return out;
                })
                .step("gate", ctx -> {
                    ctx.log().info("{} is waiting at its gate", ctx.stepKey());
                    if (!gate(ctx.stepKey()).tryAcquire(GATE_GUARD.toSeconds(), TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never opened the gate of " + ctx.stepKey());
                    }
                    ctx.log().info("{} passed its gate", ctx.stepKey());
                    return Map.of("gate", ctx.stepKey());
                })
                .step("flaky", ctx -> {
                    if (failing.contains(ctx.stepKey())) {
                        ctx.log().error("{} fails on purpose (attempt {})", ctx.stepKey(), ctx.attempt());
                        throw new IllegalStateException("planned failure of " + ctx.stepKey());
                    }
                    ctx.log().info("{} works now", ctx.stepKey());
                    return Map.of("ok", true);
                })
                .step("chatty", ctx -> {
                    String name = ctx.input().path("name").asString("nobody");
                    ctx.log().debug("debug detail for {}", name);
                    ctx.log().info("hello {}", name);
                    ctx.log().warn("careful, {}", name);
                    ctx.log().error("bad news for {}", name);
                    return Map.of("greeted", name);
                })
                .step("spam", ctx -> {
                    int n = ctx.input().path("lines").asInt(30);
                    for (int round = 0; round < 3; round++) {
                        for (int i = 1; i <= n; i++) {
                            ctx.log().info("round {} line {} of {}", round + 1, i, n);
                        }
                        if (round < 2 && !gate(ctx.stepKey()).tryAcquire(GATE_GUARD.toSeconds(), TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the test never opened the gate of " + ctx.stepKey());
                        }
                    }
                    return Map.of("lines", 3 * n);
                })
                .step("use-secret", ctx -> {
                    String key = ctx.config(DocumentKind.PROVIDER, "vault").path("api_key").asString();
                    ctx.log().info("calling the vault with key {}", key);
                    throw new IllegalStateException("vault refused key " + key);
                })
                .secretResolver(ref -> {
                    if (ref.equals("env:VAULT_KEY")) {
                        return SECRET;
                    }
                    throw new IllegalArgumentException("secret '" + ref + "' is not set");
                })
                .config(DocumentKind.PROVIDER, "vault", json("{\"url\":\"https://vault.example\",\"api_key\":{\"secret\":\"env:VAULT_KEY\"}}"))
                .config(DocumentKind.PROMPT, "greeting", json("{\"template\":\"Hello, {name}!\"}"))
                .recipe(Recipe.builder("pipeline")
                        .inputSchema(json("""
                                {"type": "object", "properties": {"name": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
                                 "required": ["name"], "additionalProperties": false}"""))
                        .step("fetch", "echo").step("hold", "gate").step("check", "flaky").step("greet", "chatty").build())
                .recipe(Recipe.builder("quick").prompt("greeting").step("one", "echo").step("two", "chatty").step("three", "echo").build())
                .recipe(Recipe.builder("graph")
                        .step("fetch", "echo")
                        .step(StepDefinition.of("left", "echo").withDependsOn("fetch"))
                        .step(StepDefinition.of("right", "flaky").withDependsOn("fetch"))
                        .step(StepDefinition.of("join", "echo").withDependsOn("left", "right"))
                        .build())
                .recipe(Recipe.builder("noisy").step("talk", "spam").build())
                .recipe(Recipe.builder("secretive").provider("vault").step("call", "use-secret").build())
                .build();
        dashboard = settings.apply(Dashboard.builder(engine).port(0)).build().start();
    }

    static DashboardFixture start(Path dir) {
        return new DashboardFixture(dir, UnaryOperator.identity());
    }

    static DashboardFixture start(Path dir, UnaryOperator<Dashboard.Builder> settings) {
        return new DashboardFixture(dir, settings);
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** Starts two workers that poll often, so the page sees jobs run. */
    DashboardFixture withWorkers() {
        workers = engine.startWorkers(WorkerOptions.defaults().withCount(2).withPollInterval(Duration.ofMillis(50))
                .withShutdownGrace(Duration.ofSeconds(1)));
        return this;
    }

    /** Lets one execution of the gated step through. @param stepKey its key */
    void open(String stepKey) {
        gate(stepKey).release();
    }

    private Semaphore gate(String stepKey) {
        return gates.computeIfAbsent(stepKey, k -> new Semaphore(0));
    }

    Job create(String recipe, String input) {
        return engine.createJob(recipe, json(input));
    }

    String url() {
        return "http://localhost:" + dashboard.port();
    }

    @Override
    public void close() {
        gates.values().forEach(s -> s.release(100));
        try {
            dashboard.close();
            if (workers != null) {
                workers.close();
            }
            engine.close();
        } finally {
            store.close();
        }
    }
}
