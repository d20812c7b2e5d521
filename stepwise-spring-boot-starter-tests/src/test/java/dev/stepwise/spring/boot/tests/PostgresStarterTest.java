package dev.stepwise.spring.boot.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.postgres.PostgresJobStore;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.spring.boot.StepwiseAutoConfiguration;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The auto-configuration on the application's PostgreSQL {@code DataSource} (127.0.0.1:5432,
 * database {@code test}, user {@code postgres}; {@code -Dstepwise.pg.url} overrides). Each
 * context gets its own schema named after this class and JVM; this JVM's are dropped after the
 * class (not other runs' schemas: another build may be using them).
 */
class PostgresStarterTest {
    static final String URL = System.getProperty("stepwise.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String PREFIX = "t_starter_" + ProcessHandle.current().pid() + "_";
    static int next;

    @TempDir
    Path dir;

    static synchronized String newSchema() {
        return PREFIX + (++next);
    }

    ApplicationContextRunner runner(String schema) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, StepwiseAutoConfiguration.class))
                .withUserConfiguration(TestSteps.ShoutConfig.class)
                .withPropertyValues("spring.datasource.url=" + URL, "spring.datasource.username=postgres",
                        "stepwise.postgres.schema=" + schema, "stepwise.sqlite.path=" + dir.resolve("jobs.db"),
                        "stepwise.recipes.locations=classpath:test-recipes/shout.json", "stepwise.workers.poll-interval=50ms");
    }

    @AfterAll
    static void dropSchemas() throws SQLException {
        try (Connection c = DriverManager.getConnection(URL, "postgres", null)) {
            List<String> schemas = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT nspname FROM pg_namespace WHERE nspname LIKE ?")) {
                ps.setString(1, PREFIX.replace("_", "\\_") + "%"); // this JVM's only: other runs may be live
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        schemas.add(rs.getString(1));
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                for (String schema : schemas) {
                    s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
                }
            }
        }
    }

    static String statusInDatabase(String schema, String jobId) throws SQLException {
        try (Connection c = DriverManager.getConnection(URL, "postgres", null);
             PreparedStatement ps = c.prepareStatement("SELECT status FROM " + schema + ".jobs WHERE id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("job " + jobId + " is in " + schema + ".jobs").isTrue();
                return rs.getString(1);
            }
        }
    }

    @Test
    void aPostgresDataSourceGetsThePostgresStoreAndWorkersRunJobsOnIt() throws SQLException {
        String schema = newSchema();
        AtomicReference<String> id = new AtomicReference<>();
        runner(schema).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(DataSource.class).hasSingleBean(JobStore.class);
            JobStore store = ctx.getBean(JobStore.class);
            assertThat(store).isInstanceOf(PostgresJobStore.class);
            assertThat(((PostgresJobStore) store).schema()).isEqualTo(schema);
            JobEngine engine = ctx.getBean(JobEngine.class);
            String jobId = engine.submit("shout", StarterContextTest.json("{\"text\": \"pg\"}"), SubmitOptions.defaults()).job().id();
            id.set(jobId);
            Await.until("job " + jobId + " completes", () -> engine.job(jobId).status() == JobStatus.COMPLETED);
        });
        assertThat(statusInDatabase(schema, id.get())).isEqualTo("completed");
        assertThat(dir.resolve("jobs.db")).doesNotExist();
    }

    @Test
    void withoutEnginePostgresAutoFallsBackToSqlite() {
        runner(newSchema()).withClassLoader(new FilteredClassLoader(PostgresJobStore.class))
                .withPropertyValues("stepwise.workers.enabled=false")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(JobStore.class)).isInstanceOf(SqliteJobStore.class);
                });
        assertThat(dir.resolve("jobs.db")).exists();
    }

    @Test
    void storeSqliteIgnoresThePostgresDataSource() {
        runner(newSchema()).withPropertyValues("stepwise.store=sqlite", "stepwise.workers.enabled=false")
                .run(ctx -> assertThat(ctx.getBean(JobStore.class)).isInstanceOf(SqliteJobStore.class));
    }

    @Test
    void storePostgresWithoutADataSourceOrWithAnotherDatabaseFailsStartup() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(StepwiseAutoConfiguration.class))
                .withPropertyValues("stepwise.store=postgres", "stepwise.workers.enabled=false")
                .run(ctx -> assertThat(StarterContextTest.messages(ctx.getStartupFailure()))
                        .contains("stepwise.store=postgres needs the application's DataSource"));
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, StepwiseAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db"), "stepwise.store=postgres",
                        "stepwise.workers.enabled=false")
                .run(ctx -> assertThat(StarterContextTest.messages(ctx.getStartupFailure()))
                        .contains("stepwise.store=postgres, but the application's DataSource is SQLite, not PostgreSQL"));
    }
}
