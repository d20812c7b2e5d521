/**
 * Internals of the PostgreSQL store: named SQL, migrations, row mapping, the transaction runner
 * that rides out connection loss, the clock offset and the LISTEN connection. Not an API.
 */
package dev.stepwise.engine.postgres.internal;
