package dev.stepwise.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.postgres.internal.Migrator;
import dev.stepwise.engine.postgres.internal.SqlFile;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A schema written by an earlier Stepwise is upgraded on open and keeps its documents. */
class PostgresVoiceMigrationTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresVoiceMigrationTest.class);
    private static final String MIGRATIONS = "/dev/stepwise/engine/postgres/migrations/";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    /** Builds a schema by hand as Stepwise left it at schema version 2 (before voices), with one prompt. */
    private static void createAtVersion2(String schema) throws SQLException {
        try (Connection c = DriverManager.getConnection(PgSchemas.URL); Statement s = c.createStatement()) {
            s.execute(SqlFile.withSchema("CREATE SCHEMA {schema}", schema));
            s.execute(SqlFile.withSchema("CREATE TABLE {schema}.schema_version (version integer NOT NULL PRIMARY KEY, "
                    + "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", schema));
            String[] names = {"V1__init.sql", "V2__step_cache.sql"};
            for (int v = 1; v <= names.length; v++) {
                for (String statement : SqlFile.splitStatements(SqlFile.withSchema(SqlFile.read(MIGRATIONS + names[v - 1]), schema))) {
                    s.execute(statement);
                }
                s.execute(SqlFile.withSchema("INSERT INTO {schema}.schema_version (version, description) VALUES (" + v + ", 'v"
                        + v + "')", schema));
            }
            s.execute(SqlFile.withSchema("INSERT INTO {schema}.documents (kind, key, version, content_hash, content, created_at) "
                    + "VALUES ('prompt', 'writer', 1, '" + "a".repeat(64) + "', '{\"text\":\"old\"}', '2026-01-01T00:00:00Z')", schema));
            assertThrows(SQLException.class, () -> s.execute(SqlFile.withSchema("INSERT INTO {schema}.documents "
                    + "(kind, key, version, content_hash, content, created_at) VALUES ('voice', 'v', 1, '" + "b".repeat(64)
                    + "', '{}', now())", schema)), "version 2 does not know voices");
        }
    }

    private static List<String> column(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(PgSchemas.URL); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    @Test
    void aVersion2SchemaGetsVoicesAndKeepsItsDocuments() throws Exception {
        String schema = SCHEMAS.newSchema();
        createAtVersion2(schema);

        try (PostgresJobStore store = SCHEMAS.builder().schema(schema).build()) {
            VersionedDocument writer = store.findDocument(DocumentKind.PROMPT, "writer", 1).orElseThrow();
            assertEquals("old", writer.content().get("text").asString());
            assertEquals(Instant.parse("2026-01-01T00:00:00Z"), writer.createdAt());
            VersionedDocument voice = store.publish(DocumentKind.VOICE, "narrator", JSON.readTree("{\"provider\":\"tone\",\"name\":\"a\"}"),
                    "c".repeat(64), Instant.parse("2026-01-02T00:00:00Z"));
            assertEquals(1, voice.version());
            assertEquals(List.of("narrator"), store.findDocuments(DocumentKind.VOICE).stream().map(VersionedDocument::key).toList());
        }
        int latest = Migrator.load(SqlFile.load("/dev/stepwise/engine/postgres/queries.sql", schema), schema).latestVersion();
        assertEquals(IntStream.rangeClosed(1, latest).mapToObj(Integer::toString).toList(),
                column("SELECT version FROM \"" + schema + "\".schema_version ORDER BY version"));
        assertEquals("voice_documents", column("SELECT description FROM \"" + schema + "\".schema_version WHERE version = 3").get(0));
        try (Connection c = DriverManager.getConnection(PgSchemas.URL); Statement s = c.createStatement()) {
            SQLException unknown = assertThrows(SQLException.class, () -> s.execute("INSERT INTO \"" + schema + "\".documents "
                    + "(kind, key, version, content_hash, content, created_at) VALUES ('video', 'v', 1, '" + "d".repeat(64)
                    + "', '{}', now())"));
            assertTrue(unknown.getMessage().contains("documents_kind_check"), unknown.getMessage());
            SQLException immutable = assertThrows(SQLException.class,
                    () -> s.execute("UPDATE \"" + schema + "\".documents SET content = '{}' WHERE key = 'writer'"));
            assertTrue(immutable.getMessage().contains("published versions are immutable"), immutable.getMessage());
        }
    }
}
