package dev.stepwise.engine.azure.speech;

import static dev.stepwise.engine.azure.speech.SpeechFixture.KEY;
import static dev.stepwise.engine.azure.speech.SpeechFixture.json;
import static dev.stepwise.engine.azure.speech.SpeechFixture.wav;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.core.contract.StubServer.Answer;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.ManifestSchema;
import dev.stepwise.engine.core.contract.StubServer;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.InputSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@link AzureSpeechStep} in a real engine on SQLite, against a local stub of the Azure TTS endpoint. */
class AzureSpeechStepTest {
    private static final String PATH = "/cognitiveservices/v1";
    @TempDir
    Path dir;
    private SqliteJobStore store;
    private StubServer stub;
    private JobEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = SqliteJobStore.builder(dir.resolve("jobs.db")).build();
        stub = StubServer.start(PATH);
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
        stub.close();
        store.close();
    }

    private Job run(String text, int maxAttempts, long timeoutMs, int maxChars) {
        engine = SpeechFixture.engine(store, dir.resolve("manifests"), SpeechFixture.provider(stub.baseUrl() + PATH, timeoutMs, maxChars),
                SpeechFixture.recipe(maxAttempts)).build();
        ObjectNode input = SpeechFixture.JSON.createObjectNode().put("text", text);
        return engine.run(engine.createJob("speak", input).id());
    }

    private Job run(String text, int maxAttempts) {
        return run(text, maxAttempts, 10_000, 3000);
    }

    private JobStep speech(Job job) {
        return engine.steps(job.id()).get(1);
    }

    private static Answer wavAnswer(int frames) {
        return Answer.bytes(200, "audio/x-wav", wav(frames));
    }

    @Test
    void aSuccessfulSynthesisStoresOneWavArtifactWithItsDuration() throws Exception {
        stub.answer(wavAnswer(24_000));

        Job job = run("The tide comes in.", 3);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        JsonNode out = speech(job).outputRefs();
        assertEquals(1000, out.get("duration_ms").asLong());
        assertEquals(18, out.get("characters").asInt());
        assertEquals("en-US-JennyNeural", out.get("voice").asString());
        assertEquals("wav", out.get("format").asString());
        assertEquals(1, out.get("requests").asInt());
        ArtifactRef ref = ArtifactRef.fromJson(out.get("audio")).orElseThrow();
        assertEquals("audio/wav", ref.mediaType());
        try (AudioInputStream audio = AudioSystem.getAudioInputStream(new ByteArrayInputStream(engine.artifacts().read(ref)))) {
            assertEquals(24_000, audio.getFrameLength());
            assertEquals(24_000f, audio.getFormat().getSampleRate());
        }
        assertEquals(List.of(), ManifestSchema.validate(engine.manifest(job.id())));

        StubServer.Request req = stub.requests().get(0);
        assertEquals("POST", req.method());
        assertEquals(KEY, req.header("Ocp-Apim-Subscription-Key"));
        assertEquals("application/ssml+xml", req.header("Content-Type"));
        assertEquals("riff-24khz-16bit-mono-pcm", req.header("X-Microsoft-OutputFormat"));
        assertEquals(AzureSpeechStep.USER_AGENT, req.header("User-Agent"));
        Document ssml = parse(req.bodyText());
        Element voice = (Element) ssml.getElementsByTagNameNS("http://www.w3.org/2001/10/synthesis", "voice").item(0);
        assertEquals("en-US-JennyNeural", voice.getAttribute("name"));
        assertEquals("en-US", ssml.getDocumentElement().getAttribute("xml:lang"));
        Element style = (Element) ssml.getElementsByTagNameNS("https://www.w3.org/2001/mstts", "express-as").item(0);
        assertEquals("narration-professional", style.getAttribute("style"));
        Element prosody = (Element) ssml.getElementsByTagNameNS("http://www.w3.org/2001/10/synthesis", "prosody").item(0);
        assertEquals("+5%", prosody.getAttribute("rate"));
        assertEquals("+0Hz", prosody.getAttribute("pitch"));
        assertEquals("The tide comes in.", prosody.getTextContent());
    }

    @Test
    void theTextIsEscapedInTheSsml() throws Exception {
        stub.answer(wavAnswer(2400));
        String text = "Tom & Jerry say <hello> to \"you\"; it's fine.";

        Job job = run(text, 1);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        String body = stub.requests().get(0).bodyText();
        assertTrue(body.contains("Tom &amp; Jerry say &lt;hello&gt; to &quot;you&quot;; it&apos;s fine."), body);
        Element prosody = (Element) parse(body).getElementsByTagNameNS("http://www.w3.org/2001/10/synthesis", "prosody").item(0);
        assertEquals(text, prosody.getTextContent(), "the service reads back exactly the text");
    }

    @Test
    void aLongTextIsSplitAtSentencesAndTheWavPiecesJoinedIntoOneWav() throws Exception {
        stub.answer(wavAnswer(4800), wavAnswer(7200), wavAnswer(9600));
        String text = "The sea rises every day at the shore. The moon pulls the water toward it. "
                + "The sun pulls too, but less. When they line up the tides are high. "
                + "When they stand apart the tides are low. Sailors have known it forever.";

        Job job = run(text, 1, 10_000, 100);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        List<StubServer.Request> seen = stub.requests();
        assertEquals(3, seen.size(), "three pieces of at most 100 characters");
        StringBuilder spoken = new StringBuilder();
        for (StubServer.Request r : seen) {
            String piece = parse(r.bodyText()).getElementsByTagNameNS("http://www.w3.org/2001/10/synthesis", "prosody").item(0)
                    .getTextContent();
            assertTrue(piece.length() <= 100, piece);
            assertTrue(piece.endsWith("."), "a piece ends at a sentence: " + piece);
            spoken.append(spoken.length() == 0 ? "" : " ").append(piece);
        }
        assertEquals(text, spoken.toString(), "every word is spoken once, in order");
        JsonNode out = speech(job).outputRefs();
        assertEquals(3, out.get("requests").asInt());
        assertEquals(900, out.get("duration_ms").asLong(), "4800 + 7200 + 9600 frames at 24 kHz");
        byte[] joined = engine.artifacts().read(ArtifactRef.fromJson(out.get("audio")).orElseThrow());
        try (AudioInputStream audio = AudioSystem.getAudioInputStream(new ByteArrayInputStream(joined))) {
            assertEquals(4800 + 7200 + 9600, audio.getFrameLength(), "one WAV with the summed frame length");
            assertEquals(joined.length - 44, audio.readAllBytes().length, "the data chunk holds every piece's samples");
        }
    }

    @Test
    void tooManyRequestsWithRetryAfterIsRetriedAfterTheWaitItAskedFor() {
        stub.answer(Answer.bytes(429, "text/plain", "Too many requests".getBytes(StandardCharsets.UTF_8)).withHeader("Retry-After", "1"),
                wavAnswer(2400));

        Job job = run("Waves.", 3);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        assertEquals(2, stub.requests().size());
        var first = speech(job).attemptLog().get(0);
        assertEquals(AttemptOutcome.FAILED, first.outcome());
        assertTrue(first.error().orElseThrow().contains("Azure Speech answered 429 Too Many Requests (request 1 of 1): Too many requests"),
                first.error().orElseThrow());
        assertEquals(1000, first.retryDelay().orElseThrow().toMillis(), "the longer of the policy's 20 ms and Retry-After 1 s");
    }

    @Test
    void unauthorizedFailsAtOnceWithTheServiceMessageAndNoRetry() {
        stub.answer(Answer.json(401, "{\"error\": {\"code\": \"401\", \"message\": \"Access denied due to invalid subscription key.\"}}"));

        Job job = run("Waves.", 3);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(1, stub.requests().size(), "a permanent failure is not retried");
        assertTrue(job.lastError().contains("Azure Speech answered 401 Unauthorized (request 1 of 1): "
                + "{\"error\": {\"code\": \"401\", \"message\": \"Access denied due to invalid subscription key.\"}}"), job.lastError());
    }

    @Test
    void badRequestAndUnsupportedMediaTypeArePermanent() {
        stub.answer(Answer.bytes(415, "text/plain", "Unsupported Content-Type".getBytes(StandardCharsets.UTF_8)),
                Answer.bytes(400, "text/plain", "SSML is invalid".getBytes(StandardCharsets.UTF_8)));

        Job job = run("Waves.", 3);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(1, stub.requests().size());
        assertTrue(job.lastError().contains("415 Unsupported Media Type (request 1 of 1): Unsupported Content-Type"), job.lastError());

        Job second = engine.run(engine.createJob("speak", json("{\"text\": \"Foam.\"}")).id());
        assertEquals(JobStatus.FAILED, second.status());
        assertEquals(2, stub.requests().size());
        assertTrue(second.lastError().contains("400 Bad Request (request 1 of 1): SSML is invalid"), second.lastError());
    }

    @Test
    void aServerErrorIsRetriedUntilTheAttemptsRunOut() {
        stub.answer(Answer.bytes(500, "text/plain", new byte[0]));

        Job job = run("Waves.", 3);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(3, stub.requests().size(), "one request per attempt");
        assertEquals(3, speech(job).attempts());
        assertTrue(job.lastError().contains("500 Internal Server Error (request 1 of 1): (no message)"), job.lastError());
    }

    @Test
    void aReadTimeoutIsRetryableAndSaysSo() {
        stub.answer(Answer.never());

        Job job = run("Waves.", 2, 300, 3000);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(2, stub.requests().size());
        assertTrue(job.lastError().contains("Azure Speech request timed out after 300 ms"), job.lastError());
    }

    @Test
    void anAnswerThatIsNotWavIsAClearFailure() {
        stub.answer(Answer.bytes(200, "text/html", "<html>proxy login</html>".getBytes(StandardCharsets.UTF_8)));

        Job job = run("Waves.", 1);

        assertEquals(JobStatus.FAILED, job.status());
        assertTrue(job.lastError().contains("Azure Speech's answer could not be read (request 1 of 1, text/html): not a WAV file"),
                job.lastError());
        assertNull(speech(job).outputRefs());
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }
}
