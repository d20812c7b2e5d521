package dev.stepwise.sample;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.examples.wordcount.CountWords;
import dev.stepwise.engine.examples.wordcount.ReadFile;
import dev.stepwise.engine.examples.wordcount.Tokenize;
import dev.stepwise.engine.examples.wordcount.WriteReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Spring Boot application that counts the words of text files with the {@code wordcount}
 * recipe, through the Stepwise starter: the four step types are beans named after their type,
 * the recipe comes from engine-examples' classpath ({@code stepwise.recipes.locations} in
 * {@code application.properties}), jobs go to a SQLite file and the starter's workers run them.
 *
 * <pre>{@code
 * java -jar stepwise-spring-boot-sample.jar --file=README.md
 * }</pre>
 *
 * <p>Each {@code --file} is submitted as a job; the application waits for them to end (at most
 * {@code sample.wait}), logs their status and exits.
 */
@SpringBootApplication
public class WordCountApplication {
    private static final Logger LOG = LoggerFactory.getLogger(WordCountApplication.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** @param args {@code --file=PATH} (repeatable) and any Spring Boot property */
    public static void main(String[] args) {
        SpringApplication.run(WordCountApplication.class, args);
    }

    @Bean("read-file")
    Step readFile() {
        return new ReadFile();
    }

    @Bean("tokenize")
    Step tokenize() {
        return new Tokenize();
    }

    @Bean("count-words")
    Step countWords() {
        return new CountWords();
    }

    @Bean("write-report")
    Step writeReport(@Value("${sample.report-dir}") Path reportDir) {
        return new WriteReport(reportDir);
    }

    /**
     * Submits one {@code wordcount} job per {@code --file} and waits for the workers to end them.
     *
     * @param engine the starter's engine
     * @param wait   how long to wait for the jobs
     * @return the runner
     */
    @Bean
    ApplicationRunner countFilesFromTheCommandLine(JobEngine engine, @Value("${sample.wait}") Duration wait) {
        return args -> {
            List<String> files = args.getOptionValues("file");
            if (files == null) {
                return;
            }
            for (String file : files) {
                String id = engine.submit("wordcount", JSON.createObjectNode().put("file", file), SubmitOptions.defaults())
                        .job().id();
                LOG.info("submitted job {} for {}", id, file);
                Job job = awaitEnd(engine, id, wait);
                LOG.info("job {} {}: {}", id, job.status(), job.status().isTerminal()
                        ? engine.manifest(id).path("output") : "not finished within sample.wait");
            }
        };
    }

    private static Job awaitEnd(JobEngine engine, String id, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Job job = engine.job(id);
        while (!job.status().isTerminal() && System.nanoTime() - deadline < 0) {
            Thread.sleep(100);
            job = engine.job(id);
        }
        return job;
    }
}
