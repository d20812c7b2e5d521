package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.T0;
import static dev.stepwise.engine.sqlite.Fixtures.json;
import static dev.stepwise.engine.sqlite.SqliteMigrationTest.column;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.VersionedDocument;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Versioned documents in the SQLite store: publish, the find methods, immutability. */
class SqliteDocumentsTest extends SqliteFileTest {
    /** SHA-256 of the JSON text, as the engine would hash the canonical form. */
    static String sha256(JsonNode content) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private VersionedDocument publish(DocumentKind kind, String key, String content, Instant now) {
        JsonNode node = json(content);
        return store.publish(kind, key, node, sha256(node), now);
    }

    private long rows() throws SQLException {
        return Long.parseLong(column(file, "SELECT COUNT(*) FROM documents").get(0));
    }

    // --------------------------------------------------------------------------------- publish

    @Test
    void aNewKeyGetsVersionOne() throws SQLException {
        JsonNode content = json("{\"steps\":[{\"key\":\"script\"}],\"ratio\":1.5}");
        VersionedDocument v1 = store.publish(DocumentKind.RECIPE, "video", content, sha256(content), T0);

        assertEquals(new VersionedDocument(DocumentKind.RECIPE, "video", 1, sha256(content), content, T0), v1);
        assertEquals(1, rows());
    }

    @Test
    void theSameContentReturnsTheStoredVersionAndWritesNothing() throws SQLException {
        VersionedDocument v1 = publish(DocumentKind.PROMPT, "script", "{\"text\":\"write\"}", T0);
        VersionedDocument again = publish(DocumentKind.PROMPT, "script", "{\"text\":\"write\"}", T0.plusSeconds(60));

        assertEquals(v1, again);
        assertEquals(T0, again.createdAt(), "the existing version keeps its publication time");
        assertEquals(1, rows());
    }

    @Test
    void changedContentGetsTheNextVersionAndOldVersionsStay() throws SQLException {
        VersionedDocument v1 = publish(DocumentKind.PRESET, "narrator", "{\"type\":\"voice\",\"speed\":1}", T0);
        VersionedDocument v2 = publish(DocumentKind.PRESET, "narrator", "{\"type\":\"voice\",\"speed\":2}", T0.plusMillis(1));
        // Going back to earlier content is a change from the latest: a third version.
        VersionedDocument v3 = publish(DocumentKind.PRESET, "narrator", "{\"type\":\"voice\",\"speed\":1}", T0.plusMillis(2));

        assertEquals(List.of(1, 2, 3), List.of(v1.version(), v2.version(), v3.version()));
        assertEquals(v1.contentHash(), v3.contentHash());
        assertEquals(List.of(v1, v2, v3), store.findVersions(DocumentKind.PRESET, "narrator"));
        assertEquals(3, rows());
    }

    @Test
    void kindsWithTheSameKeyAreIndependent() {
        VersionedDocument prompt = publish(DocumentKind.PROMPT, "shared", "{\"a\":1}", T0);
        VersionedDocument preset = publish(DocumentKind.PRESET, "shared", "{\"a\":1}", T0);
        VersionedDocument prompt2 = publish(DocumentKind.PROMPT, "shared", "{\"a\":2}", T0);

        assertEquals(1, prompt.version());
        assertEquals(1, preset.version());
        assertEquals(2, prompt2.version());
        assertEquals(List.of(preset), store.findVersions(DocumentKind.PRESET, "shared"));
        assertEquals(List.of(), store.findVersions(DocumentKind.PROVIDER, "shared"));
    }

    @Test
    void publishTruncatesToMillisecondsAndReturnsWhatTheFindsReturn() {
        Instant micros = T0.plusNanos(456_789);
        VersionedDocument v1 = publish(DocumentKind.PROVIDER, "tts", "{\"url\":\"https://x\",\"n\":1.0,\"big\":12345678901234}", micros);

        assertEquals(T0, v1.createdAt());
        assertEquals(Optional.of(v1), store.findDocument(DocumentKind.PROVIDER, "tts", 1));
    }

    @Test
    void badArgumentsAreRejectedAndWriteNothing() throws SQLException {
        JsonNode content = json("{}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.publish(DocumentKind.RECIPE, "video", content, "ABC", T0));
        assertTrue(e.getMessage().contains("64 lowercase hex"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> store.publish(DocumentKind.RECIPE, "video", content, sha256(content).toUpperCase(), T0));
        assertThrows(IllegalArgumentException.class, () -> store.publish(DocumentKind.RECIPE, "", content, sha256(content), T0));
        assertThrows(NullPointerException.class, () -> store.publish(null, "video", content, sha256(content), T0));
        assertThrows(NullPointerException.class, () -> store.publish(DocumentKind.RECIPE, "video", null, "0".repeat(64), T0));
        assertEquals(0, rows());
    }

    // ----------------------------------------------------------------------------------- reads

    @Test
    void findDocumentReadsTheLatestOrAGivenVersion() {
        VersionedDocument v1 = publish(DocumentKind.RECIPE, "video", "{\"v\":1}", T0);
        VersionedDocument v2 = publish(DocumentKind.RECIPE, "video", "{\"v\":2}", T0.plusMillis(5));

        assertEquals(Optional.of(v2), store.findDocument(DocumentKind.RECIPE, "video", null));
        assertEquals(Optional.of(v1), store.findDocument(DocumentKind.RECIPE, "video", 1));
        assertEquals(Optional.of(v2), store.findDocument(DocumentKind.RECIPE, "video", 2));
        assertEquals(Optional.empty(), store.findDocument(DocumentKind.RECIPE, "video", 3));
        assertEquals(Optional.empty(), store.findDocument(DocumentKind.RECIPE, "video", 0));
        assertEquals(Optional.empty(), store.findDocument(DocumentKind.RECIPE, "podcast", null));
        assertEquals(Optional.empty(), store.findDocument(DocumentKind.PROMPT, "video", null));
    }

    @Test
    void findDocumentsListsTheLatestVersionOfEachKeyOrderedByKey() {
        publish(DocumentKind.PROMPT, "outro", "{\"v\":1}", T0);
        publish(DocumentKind.PROMPT, "intro", "{\"v\":1}", T0);
        VersionedDocument outro2 = publish(DocumentKind.PROMPT, "outro", "{\"v\":2}", T0);
        VersionedDocument intro1 = store.findDocument(DocumentKind.PROMPT, "intro", 1).orElseThrow();
        publish(DocumentKind.PROMPT, "middle", "{\"v\":1}", T0);
        VersionedDocument middle2 = publish(DocumentKind.PROMPT, "middle", "{\"v\":2}", T0);
        VersionedDocument middle3 = publish(DocumentKind.PROMPT, "middle", "{\"v\":3}", T0);
        publish(DocumentKind.PRESET, "aaa", "{\"v\":1}", T0);

        assertEquals(List.of(intro1, middle3, outro2), store.findDocuments(DocumentKind.PROMPT));
        assertEquals(List.of(), store.findDocuments(DocumentKind.RECIPE));
        assertEquals(2, middle2.version());
    }

    @Test
    void findVersionsListsOldestFirst() {
        List<VersionedDocument> published = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            published.add(publish(DocumentKind.RECIPE, "video", "{\"v\":" + i + "}", T0.plusMillis(i)));
        }

        List<VersionedDocument> versions = store.findVersions(DocumentKind.RECIPE, "video");
        assertEquals(published, versions);
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), versions.stream().map(VersionedDocument::version).toList());
        assertEquals(List.of(), store.findVersions(DocumentKind.RECIPE, "unknown"));
    }

    @Test
    void documentsSurviveReopening() {
        VersionedDocument v1 = publish(DocumentKind.RECIPE, "video", "{\"v\":1}", T0);
        store.close();
        store = SqliteJobStore.builder(file).build();

        assertEquals(Optional.of(v1), store.findDocument(DocumentKind.RECIPE, "video", null));
        assertEquals(v1, publish(DocumentKind.RECIPE, "video", "{\"v\":1}", T0.plusSeconds(1)));
    }

    // --------------------------------------------------------------------------- immutability

    @Test
    void publishedRowsCannotBeUpdatedDeletedOrReplaced() throws SQLException {
        VersionedDocument v1 = publish(DocumentKind.RECIPE, "video", "{\"v\":1}", T0);
        publish(DocumentKind.RECIPE, "video", "{\"v\":2}", T0);
        List<String> before = column(file, "SELECT kind || key || version || content_hash || content || created_at FROM documents");

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            for (String sql : List.of(
                    "UPDATE documents SET content = '{\"v\":9}' WHERE version = 1",
                    "UPDATE documents SET created_at = 0",
                    "DELETE FROM documents WHERE version = 2",
                    "DELETE FROM documents",
                    "INSERT OR REPLACE INTO documents VALUES ('recipe', 'video', 1, '" + "0".repeat(64) + "', '{}', 0)",
                    "INSERT INTO documents VALUES ('recipe', 'video', 4, '" + "0".repeat(64) + "', '{}', 0)")) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
                assertTrue(e.getMessage().contains("published versions are immutable"), sql + ": " + e.getMessage());
            }
        }

        assertEquals(before, column(file, "SELECT kind || key || version || content_hash || content || created_at FROM documents"));
        assertEquals(Optional.of(v1), store.findDocument(DocumentKind.RECIPE, "video", 1));
    }

    @Test
    void theSchemaChecksKindAndHash() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            assertThrows(SQLException.class,
                    () -> s.execute("INSERT INTO documents VALUES ('video', 'k', 1, '" + "0".repeat(64) + "', '{}', 0)"));
            assertThrows(SQLException.class,
                    () -> s.execute("INSERT INTO documents VALUES ('recipe', 'k', 1, '" + "G".repeat(64) + "', '{}', 0)"));
            assertThrows(SQLException.class,
                    () -> s.execute("INSERT INTO documents VALUES ('recipe', 'k', 1, '" + "0".repeat(63) + "', '{}', 0)"));
            assertThrows(SQLException.class,
                    () -> s.execute("INSERT INTO documents VALUES ('recipe', 'k', 1, '" + "0".repeat(64) + "', 'not json', 0)"));
        }
        assertEquals(0, rows());
    }

    // ---------------------------------------------------------------------------- concurrency

    @Test
    void twoStoresPublishingTheSameContentAtOnceMakeOneVersion() throws Exception {
        int threadsPerStore = 4;
        int rounds = 20;
        try (SqliteJobStore other = SqliteJobStore.builder(file).build()) {
            List<SqliteJobStore> stores = List.of(store, other);
            ExecutorService pool = Executors.newFixedThreadPool(stores.size() * threadsPerStore);
            try {
                for (int round = 1; round <= rounds; round++) {
                    JsonNode content = json("{\"round\":" + round + "}");
                    String hash = sha256(content);
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<VersionedDocument>> results = new ArrayList<>();
                    for (SqliteJobStore s : stores) {
                        for (int t = 0; t < threadsPerStore; t++) {
                            results.add(pool.submit(() -> {
                                start.await();
                                return s.publish(DocumentKind.RECIPE, "video", content, hash, T0.plusMillis(1));
                            }));
                        }
                    }
                    start.countDown();
                    for (Future<VersionedDocument> f : results) {
                        VersionedDocument d = f.get(30, TimeUnit.SECONDS);
                        assertEquals(round, d.version(), "round " + round);
                        assertEquals(hash, d.contentHash());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            List<VersionedDocument> versions = other.findVersions(DocumentKind.RECIPE, "video");
            assertEquals(rounds, versions.size());
            assertEquals(store.findVersions(DocumentKind.RECIPE, "video"), versions);
        }
        assertEquals(rounds, rows());
    }
}
