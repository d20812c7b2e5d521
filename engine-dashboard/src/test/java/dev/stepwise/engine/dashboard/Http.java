package dev.stepwise.engine.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** A small HTTP client for the tests: real requests to the dashboard on its port. */
final class Http {
    /** One answer. */
    record Answer(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            return DashboardFixture.JSON.readTree(body);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** Every answer this client got, to look for secrets in. */
    final List<String> seen = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final String base;
    private final int port;

    Http(int port) {
        this.port = port;
        this.base = "http://localhost:" + port;
    }

    Answer get(String path, String... headers) {
        return send(builder(path, headers).GET().build());
    }

    /** A POST with the page's CSRF header. */
    Answer post(String path, String body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "X-Stepwise-Request";
        all[1] = "test";
        System.arraycopy(headers, 0, all, 2, headers.length);
        return postBare(path, body, all);
    }

    /** A POST with only the given headers. */
    Answer postBare(String path, String body, String... headers) {
        return send(builder(path, headers).header("Content-Type", "application/json")
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    Answer method(String method, String path, String... headers) {
        return send(builder(path, headers).method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    private HttpRequest.Builder builder(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    private Answer send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            seen.add(r.headers().map() + "\n" + r.body());
            return new Answer(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends raw request text (for headers the JDK client will not set, such as {@code Host}) and
     * returns the status line and headers and body as text.
     */
    String raw(String request) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            seen.add(text);
            return text;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads an event stream until {@code marker} appears (then closes it); the text so far. */
    String streamUntil(String path, String marker) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            StringBuilder text = new StringBuilder();
            byte[] buf = new byte[8192];
            int n;
            while (text.indexOf(marker) < 0 && (n = in.read(buf)) > 0) {
                text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            seen.add(text.toString());
            return text.toString();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads an event stream until it ends; at most {@code maxBytes}. */
    String stream(String path, int maxBytes) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port
                    + "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] bytes = s.getInputStream().readNBytes(maxBytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            seen.add(text);
            return text;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Reads an event stream until it ends (at most {@code maxBytes}), running {@code onMarker} once,
     * as soon as {@code marker} has arrived: a test acts on the job only once the stream is
     * connected and has shown the state before the action.
     */
    String stream(String path, int maxBytes, String marker, Runnable onMarker) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port
                    + "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            boolean fired = false;
            int n;
            while (bytes.size() < maxBytes && (n = in.read(buf, 0, Math.min(buf.length, maxBytes - bytes.size()))) > 0) {
                bytes.write(buf, 0, n);
                if (!fired && bytes.toString(StandardCharsets.UTF_8).contains(marker)) {
                    fired = true;
                    onMarker.run();
                }
            }
            String text = bytes.toString(StandardCharsets.UTF_8);
            seen.add(text);
            return text;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
