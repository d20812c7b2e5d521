package dev.stepwise.engine.dashboard;

import static dev.stepwise.engine.api.StepStatus.PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.test.JobAssert;
import dev.stepwise.engine.test.ManifestAssert;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The JSON API over real HTTP: an ephemeral port, a real SQLite file. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardApiHttpTest {
    @TempDir
    Path dir;

    private DashboardFixture f;
    private Http http;

    @BeforeEach
    void start() {
        f = DashboardFixture.start(dir);
        http = new Http(f.dashboard.port());
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    private Job completed(String recipe, String input) {
        return JobAssert.assertThat(f.engine, f.engine.run(f.create(recipe, input).id())).completed().job();
    }

    // ------------------------------------------------------------------------------------ reads

    @Test
    void theJobListIsNewestFirstFilteredByStatusAndRecipeAndPaged() {
        Job q1 = completed("quick", "{}");
        Job q2 = completed("quick", "{}");
        f.failing.add("right");
        Job g = f.engine.run(f.create("graph", "{}").id());
        JobAssert.assertThat(f.engine, g).failed();
        Job pending = f.create("quick", "{}");

        JsonNode all = http.get("/api/jobs").json();
        assertEquals(List.of(pending.id(), g.id(), q2.id(), q1.id()), ids(all));
        assertFalse(all.get("has_more").asBoolean());
        JsonNode first = all.at("/jobs/1");
        assertEquals("failed", first.get("status").asString());
        assertEquals("graph@1", first.get("recipe").asString());
        assertTrue(first.get("last_error").asString().contains("planned failure of right"), first.toString());
        assertTrue(first.get("input") == null, "the list leaves inputs out");

        assertEquals(List.of(q2.id(), q1.id()), ids(http.get("/api/jobs?status=completed").json()));
        assertEquals(List.of(pending.id(), g.id()), ids(http.get("/api/jobs?status=pending,failed").json()));
        assertEquals(List.of(pending.id(), q2.id(), q1.id()), ids(http.get("/api/jobs?recipe=quick").json()));
        assertEquals(List.of(q2.id()), ids(http.get("/api/jobs?recipe=quick&status=completed&limit=1").json()));
        JsonNode page = http.get("/api/jobs?limit=2&offset=1").json();
        assertEquals(List.of(g.id(), q2.id()), ids(page));
        assertTrue(page.get("has_more").asBoolean());
        assertFalse(http.get("/api/jobs?limit=2&offset=2").json().get("has_more").asBoolean());

        Http.Answer bad = http.get("/api/jobs?status=done");
        assertEquals(400, bad.status());
        assertTrue(bad.json().get("message").asString().contains("unknown job status 'done'"), bad.body());
        assertEquals(400, http.get("/api/jobs?limit=0").status());
        assertEquals(400, http.get("/api/jobs?offset=x").status());
    }

    private static List<String> ids(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.get("jobs").forEach(j -> out.add(j.get("id").asString()));
        return out;
    }

    @Test
    void oneJobComesWithItsStepsAndAnETagThatAnswers304UntilItChanges() {
        Job job = completed("quick", "{\"name\":\"Ada\"}");

        Http.Answer a = http.get("/api/jobs/" + job.id());

        assertEquals(200, a.status());
        assertEquals("application/json; charset=utf-8", a.header("Content-Type"));
        JsonNode body = a.json();
        assertEquals(job.id(), body.at("/job/id").asString());
        assertEquals("completed", body.at("/job/status").asString());
        assertEquals(100, body.at("/job/progress").asInt());
        assertEquals("Ada", body.at("/job/input/name").asString());
        assertFalse(body.get("graph").asBoolean());
        assertEquals(3, body.get("steps").size());
        JsonNode two = body.at("/steps/1");
        assertEquals("two", two.get("key").asString());
        assertEquals("chatty", two.get("type").asString());
        assertEquals("success", two.get("status").asString());
        assertEquals(1, two.get("attempts").asInt());
        assertEquals("{\"greeted\":\"Ada\"}", two.get("output_preview").asString());
        assertFalse(two.get("from_checkpoint").asBoolean());

        String etag = a.header("ETag");
        assertNotNull(etag);
        Http.Answer same = http.get("/api/jobs/" + job.id(), "If-None-Match", etag);
        assertEquals(304, same.status());
        assertEquals("", same.body());

        f.engine.retryFrom(job.id(), "two");
        Http.Answer changed = http.get("/api/jobs/" + job.id(), "If-None-Match", etag);
        assertEquals(200, changed.status());
        assertEquals("pending", changed.json().at("/job/status").asString());

        Http.Answer missing = http.get("/api/jobs/NOPE");
        assertEquals(404, missing.status());
        assertEquals("not_found", missing.json().get("error").asString());
        assertTrue(missing.json().get("message").asString().contains("no job with id 'NOPE'"), missing.body());
    }

    @Test
    void aGraphJobShowsItsDependenciesAndCheckpointMarks() {
        f.failing.add("right");
        Job job = f.engine.run(f.create("graph", "{}").id());
        f.failing.clear();
        f.engine.retry(job.id());
        f.engine.run(job.id());

        JsonNode body = http.get("/api/jobs/" + job.id()).json();

        assertTrue(body.get("graph").asBoolean());
        assertEquals("[\"left\",\"right\"]", body.at("/steps/3/depends_on").toString());
        assertTrue(body.at("/steps/0/from_checkpoint").asBoolean(), "fetch was reused");
        assertEquals("skipped", body.at("/steps/0/status").asString());
        assertEquals(2, body.at("/steps/2/attempts").asInt());
    }

    @Test
    void logsComeAfterACursorFilteredByStepAndLevel() {
        Job job = completed("quick", "{\"name\":\"Ada\"}");

        JsonNode all = http.get("/api/jobs/" + job.id() + "/logs").json();
        JsonNode lines = all.get("lines");
        assertTrue(lines.size() >= 8, all.toString());
        assertEquals("info", lines.get(0).get("level").asString());
        assertTrue(lines.get(0).get("step").isNull());
        assertTrue(lines.get(0).get("message").asString().startsWith("job created from recipe quick@1"));
        long last = all.get("cursor").asLong();
        assertEquals(lines.get(lines.size() - 1).get("cursor").asLong(), last);
        assertFalse(all.get("more").asBoolean());

        JsonNode none = http.get("/api/jobs/" + job.id() + "/logs?after=" + last).json();
        assertEquals(0, none.get("lines").size());
        assertEquals(last, none.get("cursor").asLong());

        long mid = lines.get(2).get("cursor").asLong();
        JsonNode rest = http.get("/api/jobs/" + job.id() + "/logs?after=" + mid).json();
        assertEquals(lines.size() - 3, rest.get("lines").size());

        JsonNode page = http.get("/api/jobs/" + job.id() + "/logs?limit=2").json();
        assertEquals(2, page.get("lines").size());
        assertTrue(page.get("more").asBoolean());
        assertEquals(lines.get(1).get("cursor").asLong(), page.get("cursor").asLong());

        JsonNode two = http.get("/api/jobs/" + job.id() + "/logs?step=two").json().get("lines");
        assertTrue(two.size() >= 5);
        two.forEach(l -> assertEquals("two", l.get("step").asString()));
        JsonNode warn = http.get("/api/jobs/" + job.id() + "/logs?step=two&level=warn").json().get("lines");
        assertEquals(List.of("careful, Ada", "bad news for Ada"), messages(warn));
        JsonNode jobLines = http.get("/api/jobs/" + job.id() + "/logs?step=-").json().get("lines");
        jobLines.forEach(l -> assertTrue(l.get("step").isNull()));
        assertTrue(jobLines.size() >= 2);

        assertEquals(400, http.get("/api/jobs/" + job.id() + "/logs?level=loud").status());
        assertEquals(400, http.get("/api/jobs/" + job.id() + "/logs?after=-1").status());
        assertEquals(404, http.get("/api/jobs/NOPE/logs").status());
    }

    private static List<String> messages(JsonNode lines) {
        List<String> out = new ArrayList<>();
        lines.forEach(l -> out.add(l.get("message").asString()));
        return out;
    }

    @Test
    void theManifestValidatesAgainstItsSchemaAndCanBeDownloaded() {
        Job job = completed("quick", "{}");

        Http.Answer a = http.get("/api/jobs/" + job.id() + "/manifest");

        assertEquals(200, a.status());
        ManifestAssert.assertThat(a.json()).isValid();
        assertEquals(f.engine.manifest(job.id()), a.json());
        assertNull(a.header("Content-Disposition"));
        assertEquals(304, http.get("/api/jobs/" + job.id() + "/manifest", "If-None-Match", a.header("ETag")).status());
        Http.Answer download = http.get("/api/jobs/" + job.id() + "/manifest?download=1");
        assertEquals("attachment; filename=\"manifest-" + job.id() + ".json\"", download.header("Content-Disposition"));
        assertEquals(404, http.get("/api/jobs/NOPE/manifest").status());
    }

    @Test
    void recipesComeWithTheirVersionsAndConfigOnlyWithSecretReferences() {
        f.engine.catalog().publishRecipe(dev.stepwise.engine.api.Recipe.builder("quick").step("only", "echo").build());
        JsonNode recipes = http.get("/api/recipes").json().get("recipes");
        List<String> slugs = new ArrayList<>();
        recipes.forEach(r -> slugs.add(r.get("slug").asString()));
        assertEquals(List.of("graph", "noisy", "pipeline", "quick", "secretive"), slugs);
        JsonNode graph = recipes.get(0);
        assertEquals("[1]", graph.get("versions").toString());
        JsonNode quick = recipes.get(3);
        assertEquals(2, quick.get("version").asInt());
        assertEquals("[1,2]", quick.get("versions").toString());
        assertEquals("only", quick.at("/steps/0/key").asString());
        assertEquals("[\"fetch\"]", graph.at("/steps/1/depends_on").toString());

        JsonNode config = http.get("/api/config").json().get("config");
        JsonNode vault = null;
        for (JsonNode c : config) {
            if (c.get("key").asString().equals("vault")) {
                vault = c;
            }
        }
        assertNotNull(vault, config.toString());
        assertEquals("provider", vault.get("kind").asString());
        assertEquals(1, vault.get("version").asInt());
        assertEquals("env:VAULT_KEY", vault.at("/value/api_key/secret").asString());
    }

    @Test
    void noResponseEverCarriesAResolvedSecret() {
        Job job = f.engine.run(f.create("secretive", "{}").id());
        JobAssert.assertThat(f.engine, job).failedWith("vault refused key");

        http.get("/api/jobs");
        http.get("/api/jobs/" + job.id());
        http.get("/api/jobs/" + job.id() + "/logs");
        http.get("/api/jobs/" + job.id() + "/manifest");
        http.get("/api/recipes");
        http.get("/api/config");
        http.stream("/api/jobs/" + job.id() + "/events", 1 << 20);
        http.post("/api/jobs/" + job.id() + "/retry", null);

        assertTrue(http.seen.stream().anyMatch(s -> s.contains("vault refused key")), "the error was served");
        for (String s : http.seen) {
            assertFalse(s.contains(DashboardFixture.SECRET), () -> "a response carried the secret: " + s);
        }
    }

    // ----------------------------------------------------------------------------------- writes

    @Test
    void aJobIsCreatedFromARecipeAndInputOrRefusedWithEveryViolation() {
        Http.Answer created = http.post("/api/jobs", "{\"recipe\":\"pipeline\",\"input\":{\"name\":\"Ada\",\"count\":2}}");
        assertEquals(201, created.status(), created.body());
        String id = created.json().at("/job/id").asString();
        assertEquals("/api/jobs/" + id, created.header("Location"));
        assertEquals("Ada", JobAssert.assertThat(f.engine, f.engine.job(id)).pending().job().input().get("name").asString());
        assertEquals(1, http.post("/api/jobs", "{\"recipe\":\"quick\",\"version\":1}").json().at("/job/recipe_version").asInt());
        int before = jobCount();

        Http.Answer invalid = http.post("/api/jobs", "{\"recipe\":\"pipeline\",\"input\":{\"count\":0,\"extra\":true}}");

        assertEquals(400, invalid.status());
        JsonNode violations = invalid.json().get("violations");
        assertEquals(3, violations.size(), invalid.body());
        String all = violations.toString();
        assertTrue(all.contains("name") && all.contains("count") && all.contains("extra"), all);
        assertEquals(before, jobCount(), "no job was created");

        assertEquals(404, http.post("/api/jobs", "{\"recipe\":\"nope\",\"input\":{}}").status());
        assertEquals(404, http.post("/api/jobs", "{\"recipe\":\"quick\",\"version\":9}").status());
        assertEquals(400, http.post("/api/jobs", "{\"recipe\":\"quick\",\"input\":[1]}").status());
        assertEquals(400, http.post("/api/jobs", "{\"recipe\":\"quick\",\"priority\":1}").status());
        assertEquals(400, http.post("/api/jobs", "{not json").status());
        assertEquals(400, http.post("/api/jobs", "").status());
        assertEquals(400, http.post("/api/jobs", "{\"input\":{}}").status());
        assertEquals(before, jobCount());
    }

    @Test
    void aBodyOverOneMebibyteIs413AndCreatesNothing() {
        int before = jobCount();
        String big = "{\"recipe\":\"quick\",\"input\":{\"pad\":\"" + "x".repeat(DashboardApi.MAX_BODY_BYTES) + "\"}}";

        Http.Answer a = http.post("/api/jobs", big);

        assertEquals(413, a.status());
        assertEquals("payload_too_large", a.json().get("error").asString());
        assertEquals(before, jobCount());
        assertEquals(200, http.get("/api/jobs").status(), "the server still answers");
    }

    private int jobCount() {
        return f.engine.jobs(new JobQuery(java.util.Set.of(), 10_000)).size();
    }

    @Test
    void cancelAndRetryFollowTheAllowedTransitions() {
        Job pending = f.create("quick", "{}");
        Http.Answer cancelled = http.post("/api/jobs/" + pending.id() + "/cancel", null);
        assertEquals(200, cancelled.status(), cancelled.body());
        assertEquals("cancelled", cancelled.json().at("/job/status").asString());
        JobAssert.assertThat(f.engine, pending).cancelled();

        Http.Answer retried = http.post("/api/jobs/" + pending.id() + "/retry", null);
        assertEquals(200, retried.status());
        JobAssert.assertThat(f.engine, pending).pending();

        Job done = completed("quick", "{}");
        Http.Answer noCancel = http.post("/api/jobs/" + done.id() + "/cancel", null);
        assertEquals(409, noCancel.status());
        assertEquals("conflict", noCancel.json().get("error").asString());
        assertTrue(noCancel.json().get("message").asString().contains("only pending or running jobs can be cancelled"));
        assertEquals(409, http.post("/api/jobs/" + done.id() + "/retry", null).status());
        assertEquals(404, http.post("/api/jobs/NOPE/retry", null).status());
    }

    @Test
    void retryingOneStepResetsItAndItsDownstreamStepsAndIsRefusedWhileTheJobRuns() throws Exception {
        Job done = completed("quick", "{}");

        Http.Answer a = http.post("/api/jobs/" + done.id() + "/steps/two/retry", null);

        assertEquals(200, a.status(), a.body());
        assertEquals("pending", a.json().at("/job/status").asString());
        JobAssert.assertThat(f.engine, done).stepExecuted("one").stepStatus("two", PENDING).stepStatus("three", PENDING);
        assertEquals("two", f.engine.manifest(done.id()).at("/retries/0/from_step").asString());
        assertEquals(404, http.post("/api/jobs/" + done.id() + "/steps/nine/retry", null).status());

        Job held = f.create("pipeline", "{\"name\":\"Ada\"}");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = pool.submit(() -> f.engine.run(held.id()));
            waitForStatus(held.id(), "hold", StepStatus.RUNNING);

            Http.Answer refused = http.post("/api/jobs/" + held.id() + "/steps/fetch/retry", null);

            assertEquals(409, refused.status(), refused.body());
            assertTrue(refused.json().get("message").asString().contains("is running"), refused.body());
            JobAssert.assertThat(f.engine, held).stepExecuted("fetch"); // nothing was reset
            f.open("hold");
            JobAssert.assertThat(f.engine, run.get(60, TimeUnit.SECONDS)).completed();
        } finally {
            pool.shutdownNow();
        }
    }

    private void waitForStatus(String jobId, String step, StepStatus status) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            if (f.engine.steps(jobId).stream().anyMatch(s -> s.stepKey().equals(step) && s.status() == status)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("step " + step + " of job " + jobId + " never became " + status);
    }

    @Test
    void wrongMethodsAre405WithAllowAndUnknownPathsAre404() {
        Job job = completed("quick", "{}");
        Http.Answer a = http.method("DELETE", "/api/jobs", "X-Stepwise-Request", "test");
        assertEquals(405, a.status());
        assertEquals("GET, POST", a.header("Allow"));
        assertEquals("method_not_allowed", a.json().get("error").asString());
        Http.Answer b = http.get("/api/jobs/" + job.id() + "/cancel");
        assertEquals(405, b.status());
        assertEquals("POST", b.header("Allow"));
        assertEquals(405, http.post("/api/jobs/" + job.id(), "{}").status());
        assertEquals(405, http.post("/api/recipes", "{}").status());
        assertEquals(404, http.get("/api/nothing").status());
        assertEquals(404, http.get("/api").status());
    }

    // -------------------------------------------------------------------------------- security

    @Test
    void onLoopbackWithoutATokenAChangingRequestNeedsTheCustomHeaderAndItsOwnOrigin() {
        Job pending = f.create("quick", "{}");

        Http.Answer bare = http.postBare("/api/jobs/" + pending.id() + "/cancel", null);
        assertEquals(403, bare.status());
        assertTrue(bare.json().get("message").asString().contains("X-Stepwise-Request"), bare.body());
        Http.Answer foreign = http.post("/api/jobs/" + pending.id() + "/cancel", null, "Origin", "http://evil.example");
        assertEquals(403, foreign.status());
        JobAssert.assertThat(f.engine, pending).pending(); // nothing changed
        Http.Answer create = http.postBare("/api/jobs", "{\"recipe\":\"quick\"}");
        assertEquals(403, create.status());

        Http.Answer own = http.post("/api/jobs/" + pending.id() + "/cancel", null, "Origin", "http://localhost:" + f.dashboard.port());
        assertEquals(200, own.status(), own.body());
        JobAssert.assertThat(f.engine, pending).cancelled();
        assertEquals(200, http.get("/api/jobs").status(), "reads need nothing on loopback");
    }

    @Test
    void theHostHeaderMustNameTheLoopbackAddress() {
        int port = f.dashboard.port();
        String evil = http.raw("GET /api/jobs HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
        assertTrue(evil.startsWith("HTTP/1.1 403"), evil);
        assertTrue(evil.contains("DNS rebinding"), evil);
        String page = http.raw("GET / HTTP/1.1\r\nHost: rebound.example\r\nConnection: close\r\n\r\n");
        assertTrue(page.startsWith("HTTP/1.1 403"), page);
        String otherPort = http.raw("GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:" + (port == 1 ? 2 : port - 1) + "\r\nConnection: close\r\n\r\n");
        assertTrue(otherPort.startsWith("HTTP/1.1 403"), otherPort);
        for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "LOCALHOST:" + port)) {
            String ok = http.raw("GET /api/jobs HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertTrue(ok.startsWith("HTTP/1.1 200"), host + ": " + ok);
        }
    }

    @Test
    void withATokenEveryApiRequestNeedsItAndTheCustomHeaderIsNotNeeded(@TempDir Path other) {
        String token = "tok-0123456789abcdef";
        try (DashboardFixture t = DashboardFixture.start(other, b -> b.token(token))) {
            Http h = new Http(t.dashboard.port());
            Job pending = t.create("quick", "{}");
            Http.Answer none = h.get("/api/jobs");
            assertEquals(401, none.status());
            assertTrue(none.json().get("message").asString().contains("X-Stepwise-Token"), none.body());
            assertEquals(401, h.get("/api/jobs", "X-Stepwise-Token", "wrong-0123456789abcdef").status());
            assertEquals(401, h.post("/api/jobs/" + pending.id() + "/cancel", null).status(), "the CSRF header is no token");
            JobAssert.assertThat(t.engine, pending).pending();
            assertEquals(200, h.get("/api/jobs", "X-Stepwise-Token", token).status());
            assertEquals(200, h.get("/api/jobs", "Authorization", "Bearer " + token).status());
            assertEquals(200, h.postBare("/api/jobs/" + pending.id() + "/cancel", null, "X-Stepwise-Token", token).status());
            JobAssert.assertThat(t.engine, pending).cancelled();
            assertEquals(200, h.get("/").status(), "the page itself holds no data");
        }
    }

    @Test
    void anyOtherAddressThanLoopbackRefusesToStartWithoutAToken() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dashboard.builder(f.engine).bindAddress("0.0.0.0").port(0).build());
        assertTrue(e.getMessage().contains("set a token"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Dashboard.builder(f.engine).token("short").build());
        assertThrows(IllegalArgumentException.class, () -> Dashboard.builder(f.engine).port(70_000).build());
        assertThrows(IllegalStateException.class, () -> Dashboard.builder(f.engine).port(0).build().port());
    }

    @Test
    void thePageIsServedWithSecurityHeadersAndNoPathEscapesItsFolder() {
        Http.Answer page = http.get("/");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("<script src=\"/static/app.js\" defer></script>"));
        assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
        String csp = page.header("Content-Security-Policy");
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), csp);
        assertEquals("nosniff", page.header("X-Content-Type-Options"));
        assertEquals("DENY", page.header("X-Frame-Options"));
        assertEquals("nosniff", http.get("/api/jobs").header("X-Content-Type-Options"));
        assertEquals("text/javascript; charset=utf-8", http.get("/static/app.js").header("Content-Type"));
        assertEquals(200, http.get("/static/app.css").status());

        int port = f.dashboard.port();
        for (String path : List.of("/static/../internal/HttpAdapter.class", "/static/%2e%2e/Dashboard.class",
                "/static/..%2fDashboard.class", "/static/nothing.js", "/dev/stepwise/engine/dashboard/static/app.js",
                "/static/", "/static//etc/passwd", "/../../etc/passwd")) {
            String answer = http.raw("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 404") || answer.startsWith("HTTP/1.1 400"), path + ": " + answer);
            assertFalse(answer.contains("root:") || answer.contains("CAFEBABE") || answer.contains("\u00ca\u00fe"), path);
        }
        assertEquals(405, http.postBare("/", "x").status());
    }

    // ------------------------------------------------------------------------------ event streams

    @Test
    void aJobsEventStreamSendsItsStateAndLogsAndEndsOnceTheJobIsTerminal() {
        Job job = completed("quick", "{\"name\":\"Ada\"}");

        String text = http.stream("/api/jobs/" + job.id() + "/events", 1 << 20);

        assertTrue(text.startsWith("HTTP/1.1 200"), text);
        assertTrue(text.toLowerCase(java.util.Locale.ROOT).contains("content-type: text/event-stream"), text);
        int jobAt = text.indexOf("event: job\n");
        int logsAt = text.indexOf("event: logs\n");
        int endAt = text.indexOf("event: end\n");
        assertTrue(jobAt > 0 && logsAt > jobAt && endAt > logsAt, text);
        assertTrue(text.contains("\"status\":\"completed\""), text);
        assertTrue(text.contains("hello Ada"), text);

        long last = f.engine.logs(job.id(), 0, 1000).stream().mapToLong(l -> l.cursor()).max().orElseThrow();
        String after = http.stream("/api/jobs/" + job.id() + "/events?after=" + last, 1 << 20);
        assertFalse(after.contains("event: logs"), "nothing after the last cursor: " + after);
        assertTrue(after.contains("event: end"), after);
    }

    @Test
    void aRunningJobsStreamShowsItsStepsChangeUntilItEnds() throws Exception {
        Job held = f.create("pipeline", "{\"name\":\"Ada\"}");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Job> run = pool.submit(() -> f.engine.run(held.id()));
            waitForStatus(held.id(), "hold", StepStatus.RUNNING);
            // The gate opens only once the stream is connected and has shown the running job.
            Future<String> stream = pool.submit(() -> http.stream("/api/jobs/" + held.id() + "/events", 1 << 20,
                    "\"status\":\"running\"", () -> f.open("hold")));
            JobAssert.assertThat(f.engine, run.get(60, TimeUnit.SECONDS)).completed();
            String text = stream.get(60, TimeUnit.SECONDS);
            assertTrue(text.contains("\"status\":\"running\""), text);
            assertTrue(text.contains("\"status\":\"completed\""), text);
            assertTrue(text.indexOf("\"status\":\"running\"") < text.lastIndexOf("\"status\":\"completed\""), text);
            assertTrue(text.contains("hold passed its gate"), text);
            assertTrue(text.contains("event: end"), text);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theListStreamSendsTheListAndStreamsOfUnknownJobsOrBadParametersAreRefused() {
        Job job = completed("quick", "{}");

        String text = http.streamUntil("/api/events?status=completed", "\"has_more\"");

        assertTrue(text.startsWith("HTTP/1.1 200"), text);
        assertTrue(text.contains("event: jobs") && text.contains(job.id()), text);
        String unknown = http.raw("GET /api/jobs/NOPE/events HTTP/1.1\r\nHost: localhost:" + f.dashboard.port()
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(unknown.startsWith("HTTP/1.1 404"), unknown);
        String bad = http.raw("GET /api/events?status=done HTTP/1.1\r\nHost: localhost:" + f.dashboard.port()
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(bad.startsWith("HTTP/1.1 400"), bad);
    }

    @Test
    void handleAnswersWithoutAnyServer() {
        DashboardApi api = new DashboardApi(f.engine);
        Job job = completed("quick", "{}");
        ApiResponse a = api.handle(ApiRequest.of("GET", "/api/jobs/" + job.id() + "/logs?step=two&level=error"));
        assertEquals(200, a.status());
        assertTrue(a.bodyText().contains("bad news for nobody"), a.bodyText());
        assertEquals(413, api.handle(ApiRequest.of("POST", "/api/jobs").withBody(new byte[DashboardApi.MAX_BODY_BYTES + 1])).status());
        assertTrue(api.isEventStream(ApiRequest.of("GET", "/api/events")));
        assertEquals(400, api.handle(ApiRequest.of("GET", "/api/events")).status());
    }
}
