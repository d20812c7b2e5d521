/**
 * The PostgreSQL store: {@link dev.stepwise.engine.postgres.PostgresJobStore}, for many worker
 * processes on many machines sharing one database, with the guarantees of the SQLite store.
 */
package dev.stepwise.engine.postgres;
