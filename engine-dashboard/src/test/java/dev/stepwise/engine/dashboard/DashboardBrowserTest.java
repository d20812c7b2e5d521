package dev.stepwise.engine.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.ManifestSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard in real headless Chromium, on a SQLite file, with two workers running the jobs
 * and steps held by gates the test opens: what a person sees and does.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {
    private static Browser browser;

    @TempDir
    Path dir;

    private DashboardFixture f;

    @BeforeAll
    static void openBrowser() {
        browser = Browser.open();
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void start() {
        f = DashboardFixture.start(dir).withWorkers();
    }

    @AfterEach
    void stop() {
        browser.go("about:blank");
        f.close();
    }

    private void openJob(String id) {
        browser.go(f.url() + "/#/jobs/" + id);
        browser.until("the job page", d -> d.findElements(By.cssSelector("#job-status .badge")).isEmpty() ? null : true);
    }

    private String text(String css) {
        return browser.text(css);
    }

    private String stepStatus(String key) {
        return browser.attr(".step[data-step='" + key + "']", "data-status");
    }

    private String stepText(String key) {
        return browser.text(".step[data-step='" + key + "']");
    }

    @Test
    void stepStatusesChangeOnScreenWithoutAReloadAndTheScreenshotIsTaken() throws IOException {
        Job job = f.create("pipeline", "{\"name\":\"Ada\",\"count\":3}");
        openJob(job.id());
        browser.js("window.__stepwiseMarker = 'same page';");

        browser.waitForStep("hold", "running");
        assertEquals("success", stepStatus("fetch"));
        assertEquals("pending", stepStatus("greet"));
        browser.waitForJob("running");
        browser.until("the gate's log line", d -> text("#log-rows").contains("hold is waiting at its gate") ? true : null);
        screenshot("dashboard.png");

        f.open("hold");

        browser.waitForStep("greet", "success");
        browser.waitForJob("completed");
        for (String key : List.of("fetch", "hold", "check", "greet")) {
            assertEquals("success", stepStatus(key), key);
        }
        assertEquals("same page", browser.js("return window.__stepwiseMarker;"), "no reload happened");
        assertTrue(text("#job-progress").contains("100%"));
        browser.until("the idle indicator", d -> text("#live").startsWith("idle") ? true : null);
        assertEquals(JobStatus.COMPLETED, f.engine.job(job.id()).status());

        browser.go(f.url() + "/#/jobs");
        browser.until("the job list", d -> d.findElements(By.cssSelector("#job-rows tr[data-job='" + job.id() + "']")).isEmpty() ? null : true);
        String row = text("#job-rows tr[data-job='" + job.id() + "']");
        assertTrue(row.contains("completed") && row.contains("pipeline@1") && row.contains("100%"), row);
        Job later = f.create("quick", "{\"name\":\"Grace\"}");
        browser.until("a new job appears in the list without a reload",
                d -> d.findElements(By.cssSelector("#job-rows tr[data-job='" + later.id() + "']")).isEmpty() ? null : true);
        assertEquals("same page", browser.js("return window.__stepwiseMarker;"));
    }

    private void screenshot(String name) throws IOException {
        byte[] png = browser.screenshot();
        Path target = Path.of("target", "screenshots");
        Files.createDirectories(target);
        Files.write(target.resolve(name), png);
        assertTrue(Files.size(target.resolve(name)) > 10_000, "a real screenshot");
        if (Boolean.getBoolean("stepwise.updateScreenshot")) {
            Files.write(Path.of(System.getProperty("stepwise.docs.dir", "../docs")).resolve(name), png);
        }
    }

    @Test
    void newLogLinesAppearAndTheViewFollowsThemUntilTheUserScrollsUp() {
        Job job = f.create("noisy", "{\"lines\":40}");
        openJob(job.id());
        browser.until("the first 40 lines", d -> text("#log-rows").contains("round 1 line 40 of 40") ? true : null);
        assertTrue(atBottom(), "the view follows new lines");
        assertEquals("following", text("#log-follow"));

        browser.js("document.getElementById('log-box').scrollTop = 0;");
        browser.until("the paused indicator", d -> text("#log-follow").startsWith("paused") ? true : null);
        int before = browser.all("#log-rows tr").size();
        f.open("talk");
        browser.until("the second 40 lines", d -> text("#log-rows").contains("round 2 line 40 of 40") ? true : null);

        assertTrue(browser.all("#log-rows tr").size() >= before + 40, "only new lines were added");
        assertEquals(0L, ((Number) browser.js("return document.getElementById('log-box').scrollTop;")).longValue(),
                "the view stays where the user scrolled");
        assertEquals(1L, ((Number) browser.js("return Array.from(document.querySelectorAll('#log-rows td.m'))"
                + ".filter(td => td.textContent === 'round 1 line 7 of 40').length;")).longValue(), "no line is loaded twice");

        browser.js("const b = document.getElementById('log-box'); b.scrollTop = b.scrollHeight;");
        browser.until("the following indicator", d -> text("#log-follow").equals("following") ? true : null);
        f.open("talk");
        browser.until("the last 40 lines", d -> text("#log-rows").contains("round 3 line 40 of 40") ? true : null);
        browser.until("the view at the bottom again", d -> atBottom() ? true : null);
        browser.waitForJob("completed");
    }

    private boolean atBottom() {
        return (Boolean) browser.js("const b = document.getElementById('log-box');"
                + "return b.scrollHeight - b.scrollTop - b.clientHeight < 6;");
    }

    @Test
    void theLevelAndStepFiltersHideLines() {
        Job job = f.create("quick", "{\"name\":\"Ada\"}");
        openJob(job.id());
        browser.waitForJob("completed");
        browser.until("the step's lines", d -> text("#log-rows").contains("bad news for Ada") ? true : null);
        WebElement debug = row("debug detail for Ada");
        WebElement info = row("hello Ada");
        WebElement warn = row("careful, Ada");
        WebElement error = row("bad news for Ada");
        assertTrue(debug.isDisplayed() && info.isDisplayed());

        new Select(browser.find("#log-level")).selectByValue("warn");

        assertFalse(debug.isDisplayed());
        assertFalse(info.isDisplayed());
        assertTrue(warn.isDisplayed());
        assertTrue(error.isDisplayed());
        new Select(browser.find("#log-level")).selectByValue("error");
        assertFalse(warn.isDisplayed());
        assertTrue(error.isDisplayed());

        new Select(browser.find("#log-level")).selectByValue("debug");
        new Select(browser.find("#log-step")).selectByValue("one");
        assertFalse(info.isDisplayed(), "a line of step two");
        assertTrue(browser.all("#log-rows tr").stream().filter(WebElement::isDisplayed)
                .allMatch(r -> r.getAttribute("data-step").equals("one")));
        new Select(browser.find("#log-step")).selectByValue("-");
        assertTrue(row("job created from recipe quick@1").isDisplayed());
        assertFalse(row("echo one attempt 1").isDisplayed());
    }

    private WebElement row(String message) {
        return browser.all("#log-rows tr").stream().filter(r -> r.findElement(By.cssSelector("td.m")).getAttribute("textContent")
                .equals(message)).findFirst().orElseThrow(() -> new AssertionError("no log line '" + message + "'"));
    }

    @Test
    void retryingAFailedStepReRunsItAndItsDownstreamStepsOnScreenAndInTheStore() {
        f.failing.add("check");
        f.open("hold");
        Job job = f.create("pipeline", "{\"name\":\"Ada\"}");
        openJob(job.id());
        browser.waitForJob("failed");
        browser.waitForStep("check", "failed");
        assertTrue(text(".step[data-step='check'] .step-error").contains("planned failure of check"));
        assertEquals("pending", stepStatus("greet"));
        assertTrue(text("#job-meta").contains("planned failure of check"));

        f.failing.clear();
        browser.find(".step[data-step='check'] button.retry-step").click();

        browser.waitForJob("completed");
        browser.waitForStep("greet", "success");
        assertEquals("skipped", stepStatus("fetch"));
        assertTrue(stepText("fetch").contains("from checkpoint"));
        assertTrue(stepText("hold").contains("from checkpoint"));
        assertTrue(stepText("check").contains("attempts 2"));
        assertTrue(stepText("greet").contains("attempts 1"), "greet never ran before");
        browser.until("the retry in the log", d -> text("#log-rows").contains("job retried from step 'check' (was failed)") ? true : null);

        List<JobStep> steps = f.engine.steps(job.id());
        assertEquals(List.of(StepStatus.SKIPPED, StepStatus.SKIPPED, StepStatus.SUCCESS, StepStatus.SUCCESS),
                steps.stream().map(JobStep::status).toList());
        assertEquals(List.of(1, 1, 2, 1), steps.stream().map(JobStep::attempts).toList());
        JsonNode manifest = f.engine.manifest(job.id());
        assertEquals("check", manifest.at("/retries/0/from_step").asString());
        assertEquals(List.of(), ManifestSchema.validate(manifest));
    }

    @Test
    void theManifestViewCopiesTheJsonAndCollapses() throws Exception {
        Job job = f.create("quick", "{\"name\":\"Ada\"}");
        openJob(job.id());
        browser.waitForJob("completed");
        browser.grantClipboard(f.url());
        browser.until("the manifest", d -> text("#manifest").contains("\"job_id\"") ? true : null);
        browser.until("the completed manifest", d -> text("#manifest").contains("\"completed\"") ? true : null);

        browser.find("#copy-manifest").click();

        browser.until("the copy status", d -> text("#copy-status").startsWith("copied") ? true : null);
        String copied = (String) browser.asyncJs("const done = arguments[arguments.length - 1];"
                + "navigator.clipboard.readText().then(done, e => done('clipboard error: ' + e));");
        JsonNode fromClipboard = DashboardFixture.JSON.readTree(copied);
        assertEquals(f.engine.manifest(job.id()), fromClipboard);
        assertEquals("copied " + copied.length() + " characters", text("#copy-status"));

        WebElement download = browser.find("#download-manifest");
        assertEquals("manifest-" + job.id() + ".json", download.getAttribute("download"));
        assertTrue(download.getAttribute("href").startsWith("blob:"), download.getAttribute("href"));

        WebElement snapshots = browser.all("#manifest details").stream()
                .filter(d -> d.findElement(By.cssSelector("summary")).getText().startsWith("\"snapshots\"")).findFirst().orElseThrow();
        WebElement recipe = snapshots.findElement(By.cssSelector(".kids"));
        assertTrue(recipe.isDisplayed());
        snapshots.findElement(By.cssSelector("summary")).click();
        assertFalse(recipe.isDisplayed(), "collapsed");
        assertTrue(browser.all("#manifest .js").size() > 5, "strings are highlighted");
        assertTrue(browser.all("#manifest input, #manifest textarea, #manifest [contenteditable]").isEmpty(), "read-only");
    }

    @Test
    void anXssPayloadInTheInputAndTheLogsIsShownAsText() {
        String payload = "<img src=x onerror=alert(1)>";
        Job job = f.create("quick", "{\"name\":\"" + payload + "\"}");
        openJob(job.id());
        browser.waitForJob("completed");
        browser.until("the payload's log line", d -> text("#log-rows").contains("hello " + payload) ? true : null);

        assertEquals("hello " + payload, row("hello " + payload).findElement(By.cssSelector("td.m")).getText());
        assertTrue(text("#job-meta").contains(payload), "the input as text");
        assertTrue(text(".step[data-step='two'] .step-output").contains(payload), "the output preview as text");
        assertTrue(text("#manifest").contains(payload), "the manifest as text");
        assertTrue(browser.all("main img").isEmpty(), "no element came from the payload");
        assertThrows(NoAlertPresentException.class, () -> browser.driver.switchTo().alert());
        Object errors = browser.js("return window.__stepwiseXss || null;");
        assertEquals(null, errors);
    }

    @Test
    void withATokenThePageAsksForItOnceAndPollsEveryTwoSeconds(@TempDir Path other) {
        String token = "browser-token-0123456789";
        try (DashboardFixture t = DashboardFixture.start(other, b -> b.token(token)).withWorkers()) {
            Job job = t.create("pipeline", "{\"name\":\"Ada\"}");
            browser.go(t.url() + "/#/jobs/" + job.id());
            browser.until("the token form", d -> d.findElements(By.id("token-input")).isEmpty() ? null : true);
            browser.find("#token-input").sendKeys(token);
            browser.find("#token-form button").click();

            browser.waitForStep("hold", "running");
            browser.until("the polling indicator", d -> text("#live").equals("polling every 2 s") ? true : null);
            browser.js("window.__stepwiseMarker = 'same page';");
            t.open("hold");
            browser.waitForJob("completed");
            browser.waitForStep("greet", "success");
            browser.until("the idle indicator", d -> text("#live").startsWith("idle") ? true : null);
            assertEquals("same page", browser.js("return window.__stepwiseMarker;"));
            assertTrue(text("#log-rows").contains("hold passed its gate"));
        } finally {
            browser.js("sessionStorage.clear();");
        }
    }

    @Test
    void aGraphRecipeIsLaidOutAsAGraph() {
        Job job = f.create("graph", "{}");
        openJob(job.id());
        browser.waitForJob("completed");
        browser.until("the edges", d -> d.findElements(By.cssSelector("#pipeline svg.edges path")).size() == 4 ? true : null);
        assertEquals(3, browser.all("#pipeline .col").size(), "fetch | left, right | join");
        assertEquals(2, browser.find("#pipeline .col:nth-of-type(2)").findElements(By.cssSelector(".step")).size());
    }

    @Test
    void aJobCreatedOnThePageListsEveryViolationOrOpensTheNewJob() {
        browser.go(f.url() + "/#/new?recipe=pipeline");
        browser.until("the recipes", d -> d.findElements(By.cssSelector("#new-recipe option")).size() >= 4 ? true : null);
        new Select(browser.find("#new-recipe")).selectByValue("pipeline");
        WebElement input = browser.find("#new-input");
        input.clear();
        input.sendKeys("{\"count\": 0}");
        browser.find("#new-create").click();
        browser.until("the violations", d -> d.findElements(By.cssSelector("#new-result li")).size() == 2 ? true : null);
        assertTrue(text("#new-result").contains("name"), text("#new-result"));

        input.clear();
        input.sendKeys("{\"name\": \"Lin\"}");
        browser.find("#new-create").click();
        browser.until("the new job's page", d -> d.getCurrentUrl().contains("#/jobs/") ? true : null);
        browser.waitForStep("hold", "running");
        f.open("hold");
        browser.waitForJob("completed");
    }
}
