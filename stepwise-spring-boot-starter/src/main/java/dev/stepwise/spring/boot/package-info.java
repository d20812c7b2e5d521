/**
 * Spring Boot auto-configuration for Stepwise: add {@code dev.stepwise:stepwise-spring-boot-starter}
 * and the application gets a {@link dev.stepwise.engine.core.JobEngine} bean on its
 * {@code DataSource} (PostgreSQL, with engine-postgres) or on a SQLite file, with every
 * {@link dev.stepwise.engine.api.Step} bean registered under its bean name, the recipes of
 * {@code classpath*:stepwise/recipes/*.json} published, and workers that start and stop with the
 * application context ({@link dev.stepwise.spring.boot.StepwiseWorkers}). Settings are the
 * {@code stepwise.*} properties ({@link dev.stepwise.spring.boot.StepwiseProperties}); every bean
 * gives way to one the application defines, and
 * {@link dev.stepwise.spring.boot.StepwiseEngineCustomizer} beans adjust the engine's builder.
 */
package dev.stepwise.spring.boot;
