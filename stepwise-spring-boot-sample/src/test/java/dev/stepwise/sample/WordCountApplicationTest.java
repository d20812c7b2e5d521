package dev.stepwise.sample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts the sample as {@code main} would, on a text file, and reads the finished job from the SQLite file. */
class WordCountApplicationTest {
    @TempDir
    Path dir;

    @Test
    void countsTheWordsOfAFileThroughTheStarter() throws Exception {
        Path text = Files.writeString(dir.resolve("text.txt"), "the cat and the hat and the bat\n");
        Path db = dir.resolve("sample.db");
        Path reports = dir.resolve("reports");
        try (ConfigurableApplicationContext ctx = SpringApplication.run(WordCountApplication.class,
                "--file=" + text, "--stepwise.sqlite.path=" + db, "--sample.report-dir=" + reports, "--sample.wait=5m")) {
            assertThat(ctx.isActive()).isTrue();
        }
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            List<Job> jobs = store.findJobs(new JobQuery(EnumSet.allOf(JobStatus.class), 10));
            assertThat(jobs).singleElement().satisfies(job -> {
                assertThat(job.recipeSlug()).isEqualTo("wordcount");
                assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
                assertThat(store.findSteps(job.id())).extracting(JobStep::stepKey)
                        .containsExactly("read", "tokenize", "count", "report");
                assertThat(store.findSteps(job.id())).allSatisfy(s -> assertThat(s.status()).isEqualTo(StepStatus.SUCCESS));
                Path report = reports.resolve("wordcount-" + job.id() + ".md");
                assertThat(report).exists();
                assertThat(job.manifest().path("output").path("total").asInt()).isEqualTo(8);
            });
        }
        String report;
        try (var files = Files.list(reports)) {
            report = Files.readString(files.findFirst().orElseThrow());
        }
        assertThat(report).contains("the").contains("3");
    }
}
