package dev.stepwise.spring.boot.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepwise.spring.boot.StepwiseAutoConfiguration;
import dev.stepwise.spring.boot.StepwiseProperties;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The {@code stepwise.*} properties: defaults, binding, and start-up failures that name the bad property. */
class PropertiesTest {
    @TempDir
    Path dir;

    ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(StepwiseAutoConfiguration.class))
                .withPropertyValues("stepwise.sqlite.path=" + dir.resolve("jobs.db"), "stepwise.workers.enabled=false");
    }

    @Test
    void defaultsAreTheEnginesAndValuesBind() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(StepwiseAutoConfiguration.class))
                .withPropertyValues("stepwise.workers.enabled=false", "stepwise.sqlite.path=" + dir.resolve("d.db"))
                .run(ctx -> {
                    StepwiseProperties p = ctx.getBean(StepwiseProperties.class);
                    assertThat(p.store()).isEqualTo(StepwiseProperties.StoreType.AUTO);
                    assertThat(p.postgres().schema()).isEqualTo("stepwise");
                    assertThat(p.recipes().locations()).containsExactly("classpath*:stepwise/recipes/*.json");
                    assertThat(p.engine().leaseTtl()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(p.engine().heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(p.engine().jobParallelism()).isEqualTo(4);
                    assertThat(p.workers().count()).isEqualTo(1);
                    assertThat(p.workers().pollInterval()).isEqualTo(Duration.ofMillis(500));
                    assertThat(p.workers().shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(p.workers().recipeLimits()).isEmpty();
                    assertThat(p.dashboard().enabled()).isFalse();
                    assertThat(p.dashboard().port()).isEqualTo(7070);
                });
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(StepwiseAutoConfiguration.class))
                .withPropertyValues("stepwise.store=SQLite", "stepwise.sqlite.path=" + dir.resolve("x.db"),
                        "stepwise.workers.enabled=true", "stepwise.workers.count=3", "stepwise.workers.shutdown-grace=2m",
                        "stepwise.workers.recipe-limits.wordcount=2", "stepwise.engine.lease-ttl=1m",
                        "stepwise.engine.heartbeat-interval=15s")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    StepwiseProperties p = ctx.getBean(StepwiseProperties.class);
                    assertThat(p.store()).isEqualTo(StepwiseProperties.StoreType.SQLITE);
                    assertThat(p.workers().count()).isEqualTo(3);
                    assertThat(p.workers().shutdownGrace()).isEqualTo(Duration.ofMinutes(2));
                    assertThat(p.workers().recipeLimits()).containsEntry("wordcount", 2);
                    assertThat(p.engine().leaseTtl()).isEqualTo(Duration.ofMinutes(1));
                    assertThat(dir.resolve("x.db")).exists();
                });
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "stepwise.workers.count|-1|stepwise.workers.count must be >= 1, was -1",
            "stepwise.workers.count|lots|Failed to bind properties under 'stepwise.workers.count';lots",
            "stepwise.workers.shutdown-grace|soon|Failed to bind properties under 'stepwise.workers.shutdown-grace';soon",
            "stepwise.workers.shutdown-grace|-5s|stepwise.workers.shutdown-grace must be >= 0, was PT-5S",
            "stepwise.workers.poll-interval|0ms|stepwise.workers.poll-interval must be positive, was PT0S",
            "stepwise.workers.recipe-limits.wordcount|0|stepwise.workers.recipe-limits.wordcount must be >= 1, was 0",
            "stepwise.store|cloud|Failed to bind properties under 'stepwise.store';cloud",
            "stepwise.engine.heartbeat-interval|45s|stepwise.engine.heartbeat-interval must be shorter than stepwise.engine.lease-ttl (PT30S), was PT45S",
            "stepwise.engine.job-parallelism|0|stepwise.engine.job-parallelism must be >= 1, was 0",
            "stepwise.postgres.schema|Jobs-Here|stepwise.postgres.schema must be 1-63 characters of a-z, 0-9 and '_'",
            "stepwise.dashboard.port|70000|stepwise.dashboard.port must be 0-65535, was 70000",
            "stepwise.dashboard.token|short|stepwise.dashboard.token must have at least 16 characters, had 5",
    })
    void aBadValueFailsStartupNamingTheProperty(String property, String value, String expected) {
        // expected: parts (separated by ';') that the failure's messages contain
        runner().withPropertyValues(property + "=" + value).run(ctx -> {
            assertThat(ctx).hasFailed();
            String messages = StarterContextTest.messages(ctx.getStartupFailure());
            for (String part : expected.split(";")) {
                assertThat(messages).contains(part);
            }
        });
    }
}
