/**
 * Internals of the SQLite store: not API, may change in any release. The SQL itself lives in
 * resources beside {@code dev/stepwise/engine/sqlite}: {@code queries.sql} (named statements)
 * and {@code migrations/} (numbered schema scripts listed in {@code index.txt}).
 */
package dev.stepwise.engine.sqlite.internal;
