package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.postgres.PostgresJobStore;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Where the CLI's jobs are ({@code --db}): a SQLite file, or a PostgreSQL database shared by
 * workers on several machines.
 */
sealed interface Database {

    /**
     * @param value the {@code --db} value: {@code postgresql://...} or a {@code jdbc:postgresql:}
     *              URL, else a file path
     * @return the database it names
     * @throws UsageException if it is blank or not a valid path
     */
    static Database parse(String value) {
        if (value.isBlank()) {
            throw new UsageException("--db needs a file path or a postgresql:// URL");
        }
        if (PostgresJobStore.isPostgresUrl(value)) {
            return new Postgres(value);
        }
        try {
            return new SqliteFile(Path.of(value));
        } catch (InvalidPathException e) {
            throw new UsageException("--db '" + value + "' is not a valid path");
        }
    }

    /**
     * @param clock the store's clock (the engine's)
     * @return the store, opened (and migrated)
     */
    JobStore open(Clock clock);

    /** @return whether it exists already (a PostgreSQL database always does) */
    boolean exists();

    /** @return the folder that manifests and reports go beside */
    Path folder();

    /** @return where it is, for messages (without a password) */
    String describe();

    /**
     * @return where the CLI keeps artifacts: {@code <db file>-artifacts/} beside a SQLite file,
     *         {@value StepwiseCli#PG_ARTIFACT_DIR}/ in the working directory for PostgreSQL, or the
     *         {@code --artifacts} folder
     */
    Path artifactRoot();

    /**
     * @param dir the {@code --artifacts} folder
     * @return this database, its artifacts kept in {@code dir}
     */
    default Database withArtifacts(Path dir) {
        Database db = this instanceof WithArtifacts w ? w.db() : this;
        return new WithArtifacts(db, dir.toAbsolutePath().normalize());
    }

    /** @param file the SQLite file */
    record SqliteFile(Path file) implements Database {
        @Override
        public JobStore open(Clock clock) {
            return SqliteJobStore.builder(file).clock(clock).build();
        }

        @Override
        public boolean exists() {
            return Files.exists(file);
        }

        @Override
        public Path folder() {
            return file.toAbsolutePath().getParent();
        }

        @Override
        public String describe() {
            return file.toAbsolutePath().normalize().toString();
        }

        @Override
        public Path artifactRoot() {
            Path f = file.toAbsolutePath().normalize();
            return f.resolveSibling(f.getFileName() + "-artifacts");
        }
    }

    /** @param url {@code postgresql://user@host:port/db} or a JDBC URL */
    record Postgres(String url) implements Database {
        @Override
        public JobStore open(Clock clock) {
            return PostgresJobStore.builder(url).clock(clock).build();
        }

        @Override
        public boolean exists() {
            return true;
        }

        @Override
        public Path folder() {
            return Path.of("").toAbsolutePath();
        }

        @Override
        public Path artifactRoot() {
            return folder().resolve(StepwiseCli.PG_ARTIFACT_DIR);
        }

        @Override
        public String describe() {
            return url.replaceAll("(://[^:/@]*):[^@/]*@", "$1:***@").replaceAll("password=[^&]*", "password=***");
        }
    }

    /**
     * A database whose artifacts the CLI keeps in a folder given with {@code --artifacts}.
     *
     * @param db  the database
     * @param dir the artifact root (absolute)
     */
    record WithArtifacts(Database db, Path dir) implements Database {
        @Override
        public JobStore open(Clock clock) {
            return db.open(clock);
        }

        @Override
        public boolean exists() {
            return db.exists();
        }

        @Override
        public Path folder() {
            return db.folder();
        }

        @Override
        public String describe() {
            return db.describe();
        }

        @Override
        public Path artifactRoot() {
            return dir;
        }
    }
}
