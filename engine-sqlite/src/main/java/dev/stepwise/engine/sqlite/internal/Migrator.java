package dev.stepwise.engine.sqlite.internal;

import dev.stepwise.engine.api.StoreException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the schema migrations listed in {@code migrations/index.txt}, each in its own write
 * transaction, and refuses a database whose schema is newer than this library.
 */
public final class Migrator {
    private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
    private static final String BASE = "/dev/stepwise/engine/sqlite/migrations/";
    private static final Pattern FILE = Pattern.compile("V(\\d+)__(\\w+)\\.sql");

    /**
     * One migration script.
     *
     * @param version     its version (1, 2, ...)
     * @param description from its file name
     * @param statements  its statements
     */
    public record Migration(int version, String description, List<String> statements) {
    }

    private final List<Migration> migrations;
    private final SqlFile queries;
    private final Clock clock;

    private Migrator(List<Migration> migrations, SqlFile queries, Clock clock) {
        this.migrations = List.copyOf(migrations);
        this.queries = queries;
        this.clock = clock;
    }

    /**
     * @param queries the store's statements
     * @param clock   stamps each applied migration's {@code applied_at}
     * @return a migrator holding every migration of the index
     * @throws IllegalStateException if the index or a script is missing or misnumbered (a packaging bug)
     */
    public static Migrator load(SqlFile queries, Clock clock) {
        List<Migration> out = new ArrayList<>();
        for (String line : SqlFile.read(BASE + "index.txt").split("\\R")) {
            String name = line.strip();
            if (name.isEmpty() || name.startsWith("#")) {
                continue;
            }
            Matcher m = FILE.matcher(name);
            if (!m.matches()) {
                throw new IllegalStateException("migration index: '" + name + "' is not named V<version>__<description>.sql");
            }
            int version = Integer.parseInt(m.group(1));
            if (version != out.size() + 1) {
                throw new IllegalStateException("migration index: expected version " + (out.size() + 1) + ", found " + name);
            }
            out.add(new Migration(version, m.group(2), SqlFile.splitStatements(SqlFile.read(BASE + name))));
        }
        return new Migrator(out, queries, java.util.Objects.requireNonNull(clock, "clock"));
    }

    /** @return the newest schema version this library knows */
    public int latestVersion() {
        return migrations.size();
    }

    /**
     * Brings the database to {@link #latestVersion()}: one transaction per migration, each
     * re-reading the version (so several processes opening one file at once are safe).
     *
     * @param writer   the store's writer
     * @param database names the database in messages
     * @return the schema version now
     * @throws StoreException if the database is newer than this library, or a migration fails
     */
    public int migrate(Writer writer, String database) {
        while (true) {
            int[] applied = {0};
            int version = writer.inTransaction("migration of " + database, tx -> {
                java.sql.Connection c = tx.connection();
                applied[0] = 0;
                Jdbc.execute(c, queries.get("create_schema_version").sql());
                int current = Jdbc.query(c, queries.get("select_schema_version"), Params.of(), rs -> rs.getInt(1)).get(0);
                if (current > latestVersion()) {
                    throw new StoreException("database " + database + " has schema version " + current
                            + " but this Stepwise supports up to " + latestVersion() + "; upgrade Stepwise");
                }
                if (current == latestVersion()) {
                    return current;
                }
                Migration next = migrations.get(current);
                for (String statement : next.statements()) {
                    Jdbc.execute(c, statement);
                }
                Jdbc.update(c, queries.get("insert_schema_version"), Params.of()
                        .set("version", next.version())
                        .set("description", next.description())
                        .set("appliedAt", clock.instant().truncatedTo(ChronoUnit.MILLIS)));
                applied[0] = next.version();
                return next.version();
            });
            if (applied[0] == 0) {
                return version;
            }
            LOG.info("applied schema migration V{} to {}", applied[0], database);
        }
    }
}
