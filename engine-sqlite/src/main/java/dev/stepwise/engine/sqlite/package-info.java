/**
 * {@link dev.stepwise.engine.sqlite.SqliteJobStore}: the {@link dev.stepwise.engine.api.JobStore}
 * on one SQLite file, for one machine (several processes may share the file). WAL journal, one
 * writer connection per store with {@code BEGIN IMMEDIATE} transactions retried on lock
 * contention, a small HikariCP pool for reads, and versioned schema migrations shipped as SQL
 * resources.
 *
 * <pre>{@code
 * try (JobStore store = SqliteJobStore.builder(Path.of("data/stepwise.db"))
 *         .synchronous(Synchronous.NORMAL)
 *         .build()) {
 *     ...
 * }
 * }</pre>
 */
package dev.stepwise.engine.sqlite;
