package dev.stepwise.spring.boot;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.dashboard.Dashboard;
import dev.stepwise.engine.micrometer.StepwiseObservability;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.observation.ObservationRegistry;
import dev.stepwise.spring.boot.internal.JobStores;
import dev.stepwise.spring.boot.internal.RecipeFiles;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.io.support.ResourcePatternUtils;

/**
 * Auto-configuration of Stepwise (listed in
 * {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}).
 * Every bean gives way to one of its type that the application defines:
 * <ul>
 *   <li>{@link JobStore} (unless the application defines a {@code JobStore} or a {@code JobEngine}): PostgreSQL on the application's {@code DataSource} when it is
 *       PostgreSQL and engine-postgres is present, else a SQLite file
 *       ({@code stepwise.store}, {@code stepwise.sqlite.path}, {@code stepwise.postgres.schema});</li>
 *   <li>{@link JobEngine}: on that store, with every {@link Step} bean registered under its bean
 *       name, every {@link ManifestWriter} bean, the recipe files of
 *       {@code stepwise.recipes.locations} published, the {@code stepwise.engine.*} settings and
 *       then every {@link StepwiseEngineCustomizer};</li>
 *   <li>{@link StepwiseWorkers} (unless {@code stepwise.workers.enabled=false}): workers that
 *       start and stop, gracefully, with the application context;</li>
 *   <li>{@code Dashboard} when {@code stepwise.dashboard.enabled=true} and engine-dashboard is
 *       present;</li>
 *   <li>a {@link StepwiseEngineCustomizer} named {@value #OBSERVABILITY_CUSTOMIZER} that installs
 *       engine-micrometer's {@code StepwiseObservability} on the application's
 *       {@code ObservationRegistry} and {@code MeterRegistry} (Micrometer's global registry when
 *       the application has none) when {@code stepwise.observability.enabled=true} and
 *       engine-micrometer is present.</li>
 * </ul>
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration"})
@ConditionalOnClass(JobEngine.class)
@EnableConfigurationProperties(StepwiseProperties.class)
@Import({StepwiseAutoConfiguration.StoreOnDataSource.class, StepwiseAutoConfiguration.DashboardOn.class,
        StepwiseAutoConfiguration.DashboardMissing.class, StepwiseAutoConfiguration.ObservabilityOn.class,
        StepwiseAutoConfiguration.ObservabilityMissing.class})
public class StepwiseAutoConfiguration {

    /** The property that switches workers off: {@value}. */
    public static final String WORKERS_ENABLED = "stepwise.workers.enabled";
    /** The property that switches the dashboard on: {@value}. */
    public static final String DASHBOARD_ENABLED = "stepwise.dashboard.enabled";

    /** The property that switches Micrometer observation on: {@value}. */
    public static final String OBSERVABILITY_ENABLED = "stepwise.observability.enabled";
    /** The bean name of the customizer that installs the observation: {@value}. */
    public static final String OBSERVABILITY_CUSTOMIZER = "stepwiseObservabilityCustomizer";

    /** Created by Spring Boot. */
    public StepwiseAutoConfiguration() {
    }

    /**
     * The store when the application has no single {@code DataSource}: SQLite. (Declared here, not
     * in a nested class, because this class's own beans are registered after those of the classes
     * it imports: {@link StoreOnDataSource} has had its turn.)
     *
     * @param properties the {@code stepwise.*} properties
     * @param loader     the application's class loader (tells whether engine-postgres is present)
     * @return the SQLite store at {@code stepwise.sqlite.path}, or a failure if {@code stepwise.store=postgres}
     */
    @Bean
    @ConditionalOnMissingBean({JobStore.class, JobEngine.class})
    public JobStore stepwiseJobStore(StepwiseProperties properties, ResourceLoader loader) {
        return JobStores.open(properties, Optional.empty(), loader.getClassLoader());
    }

    /**
     * @param store       the store
     * @param properties  the {@code stepwise.*} properties
     * @param beans       where the {@link Step} beans are found
     * @param resources   resolves {@code stepwise.recipes.locations}
     * @param writers     {@link ManifestWriter} beans
     * @param customizers {@link StepwiseEngineCustomizer} beans
     * @return the engine; closed with the context (after its workers stopped)
     */
    @Bean
    @ConditionalOnMissingBean
    public JobEngine stepwiseJobEngine(JobStore store, StepwiseProperties properties, ListableBeanFactory beans,
            ResourceLoader resources, ObjectProvider<ManifestWriter> writers,
            ObjectProvider<StepwiseEngineCustomizer> customizers) {
        StepwiseProperties.Engine e = properties.engine();
        JobEngineBuilder builder = JobEngine.builder(store)
                .leaseTtl(e.leaseTtl())
                .heartbeatInterval(e.heartbeatInterval())
                .maxInterruptions(e.maxInterruptions())
                .jobParallelism(e.jobParallelism())
                .recoverOnStart(e.recoverOnStart());
        Map<String, Step> steps = beans.getBeansOfType(Step.class);
        steps.forEach(builder::step);
        writers.orderedStream().forEach(builder::manifestWriter);
        RecipeFiles.seed(builder, ResourcePatternUtils.getResourcePatternResolver(resources),
                properties.recipes().locations());
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    /**
     * @param engine     the engine
     * @param properties the {@code stepwise.workers.*} properties
     * @return the workers, started with the context
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = WORKERS_ENABLED, matchIfMissing = true)
    public StepwiseWorkers stepwiseWorkers(JobEngine engine, StepwiseProperties properties) {
        StepwiseProperties.Workers w = properties.workers();
        return new StepwiseWorkers(engine, WorkerOptions.defaults()
                .withCount(w.count())
                .withPollInterval(w.pollInterval())
                .withShutdownGrace(w.shutdownGrace())
                .withRecipeLimits(w.recipeLimits()));
    }

    /** The store on the application's one {@code DataSource} (PostgreSQL) or, if it is not PostgreSQL, SQLite. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnSingleCandidate(DataSource.class)
    static class StoreOnDataSource {
        @Bean
        @ConditionalOnMissingBean({JobStore.class, JobEngine.class})
        JobStore stepwiseJobStore(StepwiseProperties properties, DataSource dataSource, ResourceLoader loader) {
            return JobStores.open(properties, Optional.of(dataSource), loader.getClassLoader());
        }
    }

    /** The dashboard, when switched on and present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Dashboard.class)
    @ConditionalOnBooleanProperty(DASHBOARD_ENABLED)
    static class DashboardOn {
        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        Dashboard stepwiseDashboard(JobEngine engine, StepwiseProperties properties) {
            StepwiseProperties.Dashboard d = properties.dashboard();
            Dashboard.Builder builder = Dashboard.builder(engine).port(d.port()).bindAddress(d.bindAddress());
            if (d.token() != null) {
                builder.token(d.token());
            }
            try {
                return builder.build().start();
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("stepwise.dashboard: " + e.getMessage(), e);
            }
        }
    }

    /** Switched on without the module: fail rather than serve nothing. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("dev.stepwise.engine.dashboard.Dashboard")
    @ConditionalOnBooleanProperty(DASHBOARD_ENABLED)
    static class DashboardMissing {
        @Bean
        Object stepwiseDashboardMissing() {
            throw new IllegalStateException(DASHBOARD_ENABLED + "=true needs dev.stepwise:engine-dashboard on the"
                    + " classpath; add it, or remove the property");
        }
    }

    /** Micrometer observation of jobs and steps, when switched on and engine-micrometer is present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.stepwise.engine.micrometer.StepwiseObservability")
    @ConditionalOnBooleanProperty(OBSERVABILITY_ENABLED)
    @EnableConfigurationProperties(StepwiseObservabilityProperties.class)
    static class ObservabilityOn {
        @Bean(OBSERVABILITY_CUSTOMIZER)
        @ConditionalOnMissingBean(name = OBSERVABILITY_CUSTOMIZER)
        StepwiseEngineCustomizer stepwiseObservabilityCustomizer(StepwiseObservabilityProperties properties,
                ObjectProvider<ObservationRegistry> observations, ObjectProvider<MeterRegistry> meters) {
            ObservationRegistry o = observations.getIfAvailable(ObservationRegistry::create);
            MeterRegistry m = meters.getIfAvailable(() -> Metrics.globalRegistry);
            return builder -> builder.eventListener(
                    StepwiseObservability.builder(o, m).gaugeRefresh(properties.gaugeRefresh()).build());
        }
    }

    /** Switched on without the module: fail rather than observe nothing. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("dev.stepwise.engine.micrometer.StepwiseObservability")
    @ConditionalOnBooleanProperty(OBSERVABILITY_ENABLED)
    static class ObservabilityMissing {
        @Bean
        Object stepwiseObservabilityMissing() {
            throw new IllegalStateException(OBSERVABILITY_ENABLED + "=true needs dev.stepwise:engine-micrometer on the"
                    + " classpath; add it, or remove the property");
        }
    }
}
