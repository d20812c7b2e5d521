package dev.stepwise.engine.postgres.internal;

import dev.stepwise.engine.api.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the schema migrations listed in {@code migrations/index.txt} to the store's schema
 * (created if missing), each in its own transaction under an advisory lock of the schema (so
 * several processes opening one database at once apply each migration once), and refuses a
 * schema newer than this library.
 */
public final class Migrator {
    private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
    private static final String BASE = "/dev/stepwise/engine/postgres/migrations/";
    private static final Pattern FILE = Pattern.compile("V(\\d+)__(\\w+)\\.sql");

    /**
     * One migration script.
     *
     * @param version     its version (1, 2, ...)
     * @param description from its file name
     * @param statements  its statements, {@code {schema}} already replaced
     */
    public record Migration(int version, String description, List<String> statements) {
        /** Copies the statements. */
        public Migration {
            statements = List.copyOf(statements);
        }
    }

    private final List<Migration> migrations;
    private final SqlFile queries;
    private final String schema;

    private Migrator(List<Migration> migrations, SqlFile queries, String schema) {
        this.migrations = List.copyOf(migrations);
        this.queries = queries;
        this.schema = schema;
    }

    /**
     * @param queries the store's statements
     * @param schema  the store's schema
     * @return a migrator holding every migration of the index
     * @throws IllegalStateException if the index or a script is missing or misnumbered (a packaging bug)
     */
    public static Migrator load(SqlFile queries, String schema) {
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
            String script = SqlFile.withSchema(SqlFile.read(BASE + name), schema);
            out.add(new Migration(version, m.group(2), SqlFile.splitStatements(script)));
        }
        return new Migrator(out, queries, schema);
    }

    /** @return the newest schema version this library knows */
    public int latestVersion() {
        return migrations.size();
    }

    /**
     * Brings the schema to {@link #latestVersion()}: one transaction per migration, each taking
     * the schema's advisory lock and re-reading the version.
     *
     * @param tx       the store's transactions
     * @param database names the database in messages
     * @return the schema version now
     * @throws StoreException if the schema is newer than this library, or a migration fails
     */
    public int migrate(Transactions tx, String database) {
        Params lock = Params.of().set("lockKey", "stepwise-migrations:" + schema);
        while (true) {
            int[] applied = {0};
            int version = tx.write("migration of schema " + schema + " in " + database, (c, again) -> {
                applied[0] = 0;
                Transactions.query(c, queries.get("lock_migrations"), lock, rs -> null);
                Transactions.execute(c, queries.get("create_schema").sql());
                Transactions.execute(c, queries.get("create_schema_version").sql());
                int current = Transactions.query(c, queries.get("select_schema_version"), Params.of(), rs -> rs.getInt(1)).get(0);
                if (current > latestVersion()) {
                    throw new StoreException("schema " + schema + " in " + database + " has version " + current
                            + " but this Stepwise supports up to " + latestVersion() + "; upgrade Stepwise");
                }
                if (current == latestVersion()) {
                    return current;
                }
                Migration next = migrations.get(current);
                for (String statement : next.statements()) {
                    Transactions.execute(c, statement);
                }
                Transactions.update(c, queries.get("insert_schema_version"), Params.of()
                        .set("version", next.version())
                        .set("description", next.description()));
                applied[0] = next.version();
                return next.version();
            });
            if (applied[0] == 0) {
                return version;
            }
            LOG.info("applied schema migration V{} to schema {} in {}", applied[0], schema, database);
        }
    }
}
