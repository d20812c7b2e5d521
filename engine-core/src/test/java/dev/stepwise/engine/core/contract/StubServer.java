package dev.stepwise.engine.core.contract;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A local stand-in for a remote HTTP API: the JDK's {@code HttpServer} on an ephemeral loopback
 * port. It answers requests with the queued answers in order (the last one again once the queue
 * is down to one) and records every request it saw. In an answer's body, {@value #ECHO_KEY} is
 * replaced by the credential the request carried (as a careless server echoes it in an error).
 */
public final class StubServer implements AutoCloseable {
    /** In an answer body: replaced by the request's credential header. */
    public static final String ECHO_KEY = "${request-key}";
    /** A request as the stub saw it. */
    public record Request(String method, String path, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * An answer.
     *
     * @param status  HTTP status
     * @param headers response headers
     * @param body    response body
     * @param hold    if true, the stub holds the request until it is closed (a server that never answers)
     */
    public record Answer(int status, Map<String, String> headers, byte[] body, boolean hold) {
        public static Answer json(int status, String json) {
            return new Answer(status, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8), false);
        }

        public static Answer bytes(int status, String contentType, byte[] body) {
            return new Answer(status, Map.of("Content-Type", contentType), body, false);
        }

        public static Answer never() {
            return new Answer(200, Map.of(), new byte[0], true);
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Answer(status, h, body, hold);
        }
    }

    /** Called after the stub wrote an answer (for crash tests). */
    @FunctionalInterface
    public interface AfterAnswer {
        void answered(Request request) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "stub-http");
        t.setDaemon(true);
        return t;
    });
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final List<Request> requests = new ArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile AfterAnswer afterAnswer = r -> { };

    private StubServer(String path) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(path, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** @param path the context path it answers on, e.g. {@code /v1/messages} */
    public static StubServer start(String path) throws IOException {
        return new StubServer(path);
    }

    /** @return {@code http://127.0.0.1:PORT} */
    public String baseUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    public synchronized StubServer answer(Answer... queued) {
        answers.addAll(List.of(queued));
        return this;
    }

    public StubServer afterAnswer(AfterAnswer hook) {
        this.afterAnswer = hook;
        return this;
    }

    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        Request req = new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body);
        Answer a;
        synchronized (this) {
            requests.add(req);
            a = answers.size() > 1 ? answers.poll() : answers.peek();
        }
        try {
            if (a == null) {
                a = Answer.json(500, "{\"error\": {\"type\": \"api_error\", \"message\": \"stub has no answer queued\"}}");
            }
            if (a.hold()) {
                closed.await(10, TimeUnit.MINUTES);
                return;
            }
            a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            byte[] answer = echo(a.body(), req);
            ex.sendResponseHeaders(a.status(), answer.length == 0 ? -1 : answer.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(answer);
            }
            afterAnswer.answered(req);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IOException(e);
        } finally {
            ex.close();
        }
    }

    private static byte[] echo(byte[] body, Request req) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (!text.contains(ECHO_KEY)) {
            return body;
        }
        String key = req.header("x-api-key");
        if (key == null && req.header("Authorization") != null) {
            key = req.header("Authorization").replaceFirst("^Bearer ", "");
        }
        if (key == null) {
            key = req.header("Ocp-Apim-Subscription-Key");
        }
        return text.replace(ECHO_KEY, String.valueOf(key)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
