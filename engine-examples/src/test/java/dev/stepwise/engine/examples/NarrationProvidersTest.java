package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.ManifestSchema;
import dev.stepwise.engine.examples.greeting.Greeting;
import dev.stepwise.engine.examples.narration.Narration;
import dev.stepwise.engine.examples.wordcount.WordCount;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The README's switch to the real services: the narration recipe as the CLI seeds it, then the two
 * {@code config set provider} documents, run against local stubs of the Messages API and the Speech
 * REST API (the JDK's HttpServer on an ephemeral port). The same steps, only the config changed.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only
class NarrationProvidersTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String CLAUDE_KEY = "sk-ant-NARRATION-test-4f1d-do-not-leak";
    private static final String AZURE_KEY = "azure-NARRATION-test-77aa-do-not-leak";
    private static final SecretResolver SECRETS = ref -> switch (ref) {
        case "env:ANTHROPIC_API_KEY" -> CLAUDE_KEY;
        case "env:AZURE_SPEECH_KEY" -> AZURE_KEY;
        default -> throw new IllegalArgumentException("secret '" + ref + "' is not set");
    };
    private static final String SCRIPT = String.join(" ", java.util.Collections.nCopies(12,
            "The tide comes in, and the tide goes out.")) ;

    @TempDir
    Path dir;
    HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startStubs() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/messages", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add("claude " + ex.getRequestHeaders().getFirst("x-api-key") + " " + body);
            byte[] answer = ("{\"id\": \"msg_01\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-sonnet-4-5\", "
                    + "\"content\": [{\"type\": \"text\", \"text\": " + JSON.writeValueAsString(SCRIPT) + "}], "
                    + "\"stop_reason\": \"end_turn\", \"stop_sequence\": null, "
                    + "\"usage\": {\"input_tokens\": 57, \"output_tokens\": 131}}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        });
        server.createContext("/tts", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add("azure " + ex.getRequestHeaders().getFirst("Ocp-Apim-Subscription-Key") + " " + body);
            byte[] wav = wav(24_000, 3_000);
            ex.getResponseHeaders().set("Content-Type", "audio/x-wav");
            ex.sendResponseHeaders(200, wav.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(wav);
            }
        });
        server.start();
    }

    @AfterEach
    void stopStubs() {
        server.stop(0);
    }

    /** A silent 16-bit PCM mono WAV. */
    static byte[] wav(int rate, int ms) {
        int data = rate * ms / 1000 * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + data).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + data).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate)
                .putInt(rate * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(data);
        return b.array();
    }

    @Test
    void twoProviderDocumentsSwitchTheNarrationToClaudeAndAzure() throws IOException {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Path db = dir.resolve("jobs.db");
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
             JobEngine engine = Catalog.seed(Narration.registerSteps(Greeting.registerSteps(WordCount.registerSteps(
                     JobEngine.builder(store), dir.resolve("reports")))), store).secretResolver(SECRETS).build()) {
            engine.catalog().putConfig(DocumentKind.PROVIDER, "script", JSON.readTree("{\"type\": \"anthropic\", "
                    + "\"api_key\": {\"secret\": \"env:ANTHROPIC_API_KEY\"}, \"base_url\": \"" + base + "\", \"timeout_ms\": 60000}"));
            engine.catalog().putConfig(DocumentKind.PROVIDER, "speech", JSON.readTree("{\"type\": \"azure\", \"region\": \"westeurope\", "
                    + "\"key\": {\"secret\": \"env:AZURE_SPEECH_KEY\"}, \"endpoint\": \"" + base + "/tts\", "
                    + "\"output_format\": \"riff-24khz-16bit-mono-pcm\"}"));

            Job job = engine.run(engine.createJob("narration", JSON.readTree("{\"topic\": \"tides\", \"words\": 100}")).id());

            assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
            List<JobStep> steps = engine.steps(job.id());
            JsonNode script = steps.get(0).outputRefs();
            assertEquals(SCRIPT, script.get("text").asString());
            assertEquals("claude-sonnet-4-5", script.get("model").asString());
            assertEquals(57, script.at("/usage/input_tokens").asInt());
            JsonNode speech = steps.get(1).outputRefs();
            assertEquals(3_000, speech.get("duration_ms").asInt());
            assertEquals(1, speech.get("requests").asInt());
            assertEquals("en-US-JennyNeural", speech.get("voice").asString());

            JsonNode manifest = engine.manifest(job.id());
            assertEquals(List.of(), ManifestSchema.validate(manifest));
            assertEquals(57, manifest.at("/metrics/input_tokens").asInt());
            assertEquals(131, manifest.at("/metrics/output_tokens").asInt());
            assertEquals(SCRIPT.length(), manifest.at("/metrics/characters_synthesized").asInt());
            assertEquals("anthropic", manifest.at("/snapshots/providers/script/value/type").asString());

            assertEquals(2, requests.size(), requests.toString());
            assertTrue(requests.get(0).startsWith("claude ") && requests.get(0).contains("about 100 words about tides"),
                    requests.get(0));
            assertTrue(requests.get(1).startsWith("azure " + AZURE_KEY + " ") && requests.get(1).contains("en-US-JennyNeural"),
                    requests.get(1));
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(bytes.contains(CLAUDE_KEY) || bytes.contains(AZURE_KEY), "a key is in " + f);
            }
        }
    }
}
